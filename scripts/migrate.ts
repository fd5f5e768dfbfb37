import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadLocalStackEnv } from '../local/stack-env.js';
import { migrate } from '../migrations/migrator.js';

// `npm run migrate`: apply pending migrations to DATABASE_URL (or the running `npm start` stack's database).
loadLocalStackEnv();
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set');
  process.exit(1);
}
async function main(connectionString: string): Promise<void> {
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: 1 }) }),
  });
  try {
    const { results = [] } = await migrate(db);
    for (const r of results)
      console.log(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`);
    if (results.length === 0) console.log('database is up to date');
    // The deploy's SEARCH_LANGUAGE must exist in the database it is about to serve (docs/api.md "Search").
    const { checkSearchLanguage } = await import('../lib/search/search-language.js');
    await checkSearchLanguage(db, (process.env.SEARCH_LANGUAGE || 'simple').trim().toLowerCase());
  } catch (error) {
    console.error('migration failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  } finally {
    await db.destroy();
  }
}

void main(url);
