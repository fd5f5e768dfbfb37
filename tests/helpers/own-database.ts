import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { closeDb } from '../../lib/platform/db/client.js';
import { migrate } from '../../migrations/migrator.js';
import { configure } from './env.js';
import { createDatabase, dropDatabase } from './postgres.js';

/**
 * Gives this test file a migrated database of its own, for tests that work on whole tables (the purge), dropped
 * after its tests. It goes in DATABASE_URL, so call it in `vi.hoisted` (tests/helpers/env.ts):
 *
 *   await vi.hoisted(async () => (await import('./own-database.js')).useOwnDatabase('kite_purge'));
 */
export async function useOwnDatabase(prefix: string): Promise<void> {
  const name = `${prefix}_${process.pid}`;
  const url = await createDatabase(inject('postgresServerUrl'), name);
  const migrator = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
  });
  await migrate(migrator);
  await migrator.destroy();
  configure({ DATABASE_URL: url });
  afterAll(async () => {
    await closeDb();
    await dropDatabase(inject('postgresServerUrl'), name);
  });
}
