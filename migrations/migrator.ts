import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { migrations } from './index.js';

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration (or up to `target`); already applied ones are skipped, so it is safe to rerun. */
export async function migrate(db: Kysely<any>, target?: string): Promise<MigrationResultSet> {
  const migrator = createMigrator(db);
  const result = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
