import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { config } from '../config.js';
import { assertBeforeDeadline } from '../deadline.js';
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

export interface DbTimeouts {
  /** Opening a connection; 0: no limit. */
  connectMs: number;
  /** The server cancels a statement after this (statement_timeout); 0: no limit. */
  statementMs: number;
}

/** How long the client waits for a statement's answer: the server's own limit, plus time to hear it cancelled. */
export function clientQueryTimeoutMs(statementMs: number): number {
  return statementMs > 0 ? statementMs + 500 : 0;
}

function configuredTimeouts(): DbTimeouts {
  const cfg = config();
  return { connectMs: cfg.DB_CONNECT_TIMEOUT_MS, statementMs: cfg.DB_STATEMENT_TIMEOUT_MS };
}

export function createDb(
  connectionString: string,
  max = 1,
  timeouts: DbTimeouts = configuredTimeouts(),
): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max,
    types,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: timeouts.connectMs,
    // Server side, a slow statement is cancelled (rolled back), so it can never commit after kite answered 503.
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs } : {}),
    // Client side, a connection that went silent (a hung network, a frozen server) fails its query.
    ...(timeouts.statementMs > 0 ? { query_timeout: clientQueryTimeoutMs(timeouts.statementMs) } : {}),
  });
  // An idle connection can be closed under us: RDS Proxy's idle timeout, a failover, a restart, while the Lambda is
  // frozen. pg-pool drops that client and the next query opens a new one; without a listener the 'error' event
  // would crash the instance instead.
  pool.on('error', (error) => logger.warn('idle database connection lost; it will be replaced', { error }));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }) });
}

/** Connections that failed below SQL (reset, cut, timed out): never handed out again. */
const broken = new WeakSet<pg.PoolClient>();
const guarded = new WeakSet<pg.PoolClient>();

/**
 * The pool as kysely sees it, with three guards on every client it hands out:
 * - an 'error' listener for the whole life of the client: pg-pool listens only while a client is idle, so a
 *   connection cut mid-query raised an 'error' nobody heard, which crashes the process. The query itself fails
 *   (and answers 503);
 * - a client whose connection failed, or whose query timed out with no answer, is destroyed when released instead
 *   of going back to the pool, so the next request gets a fresh connection (kysely releases without an error);
 * - no statement is sent once the invocation's deadline has passed (lib/platform/deadline.ts).
 */
function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', (error) => {
          broken.add(client);
          logger.warn('database connection lost during a query; it will be replaced', { error });
        });
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        const guardedQuery = async (...args: unknown[]) => {
          assertBeforeDeadline();
          try {
            return await query(...args);
          } catch (error) {
            if (connectionLost(error)) broken.add(client);
            throw error;
          }
        };
        // kysely sends statements as (sql, parameters); anything else (a cursor) passes through.
        client.query = ((...args: unknown[]) =>
          typeof args[0] === 'string' ? guardedQuery(...args) : query(...args)) as typeof client.query;
      }
      const release = client.release;
      client.release = (error?: Error | boolean) => release(error || broken.has(client));
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/**
 * A server's error answer leaves the connection usable, unless it is FATAL (the backend was terminated, the server
 * shuts down), which the server follows by closing it. Anything that is not the server's answer happened below SQL.
 */
function connectionLost(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  return error.severity === 'FATAL' || error.severity === 'PANIC';
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
