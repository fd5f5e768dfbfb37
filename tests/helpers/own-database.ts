import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { closeDb } from '../../lib/db/client.js';
import { migrate } from '../../migrations/migrator.js';
import { createDatabase, dropDatabase } from './postgres.js';

/**
 * Gives this test file a migrated database of its own, for tests that work on whole tables (the purge). It is set
 * in DATABASE_URL before any test runs, which is before lib/ reads its config on first use.
 */
export function useOwnDatabase(prefix: string): void {
  const name = `${prefix}_${process.pid}`;
  beforeAll(async () => {
    process.env.DATABASE_URL = await createDatabase(inject('postgresServerUrl'), name);
    const migrator = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }),
    });
    await migrate(migrator);
    await migrator.destroy();
  });
  afterAll(async () => {
    await closeDb();
    await dropDatabase(inject('postgresServerUrl'), name);
  });
}
