import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { config } from '../config.js';
import { logger } from '../logger.js';
import type { Database } from './schema.js';

// bigint columns (sizes, quotas) come back as numbers: every value we store is far below 2^53.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createDb(connectionString: string, max = 1): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max,
    types,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection can be closed under us: RDS Proxy's idle timeout, a failover, a restart, while the Lambda is
  // frozen. pg-pool drops that client and the next query opens a new one; without a listener the 'error' event
  // would crash the instance instead.
  pool.on('error', (error) => logger.warn('idle database connection lost; it will be replaced', { error }));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

let shared: Kysely<Database> | undefined;

/**
 * The instance's one Kysely. One connection per Lambda instance (a Lambda serves one request at a time; RDS Proxy
 * or pgbouncer multiplexes instances onto Postgres). DB_POOL_MAX raises it for in-process tests and benchmarks.
 */
export function db(): Kysely<Database> {
  shared ??= createDb(config().DATABASE_URL, config().DB_POOL_MAX);
  return shared;
}

export async function closeDb(): Promise<void> {
  const current = shared;
  shared = undefined;
  await current?.destroy();
}
