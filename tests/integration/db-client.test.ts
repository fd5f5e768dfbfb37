import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../lib/platform/config.js';
import { createDb } from '../../lib/platform/db/client.js';
import { isDependencyFailure } from '../../lib/platform/errors.js';

describe('the database pool', () => {
  const db = createDb(config().DATABASE_URL, 1);
  afterAll(() => db.destroy());

  it('survives its idle connection being closed by the server, and reconnects', async () => {
    const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    const pid = before.rows[0]?.pid;

    // What RDS Proxy's idle timeout or a failover does to a frozen Lambda's connection.
    const admin = new pg.Client({ connectionString: config().DATABASE_URL });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    // Let the pool see the connection die while idle (unhandled, its 'error' event would crash the process).
    await new Promise((resolve) => setTimeout(resolve, 200));

    const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    expect(after.rows[0]?.pid).toBeTypeOf('number');
    expect(after.rows[0]?.pid).not.toBe(pid);
  });

  it('survives its connection being terminated in the middle of a query: that query fails, the next reconnects', async () => {
    const marker = `kite-terminate-${randomUUID()}`;
    const url = new URL(config().DATABASE_URL);
    url.searchParams.set('application_name', marker);
    // No statement timeout here: the query must still be running when it is terminated.
    const busy = createDb(url.toString(), 1, { connectMs: 5_000, statementMs: 0 });
    const admin = new pg.Client({ connectionString: config().DATABASE_URL });
    await admin.connect();
    try {
      const outcome = sql`select pg_sleep(30)`.execute(busy).then(
        () => 'answered',
        (error: unknown) => error,
      );
      let pid: number | undefined;
      while (pid === undefined) {
        const { rows } = await admin.query<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = $1 and state = 'active'`,
          [marker],
        );
        pid = rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await admin.query('select pg_terminate_backend($1)', [pid]);

      const error = await outcome;
      expect(error).toBeInstanceOf(Error);
      // The handlers answer 503 for it, and the process is still here to say so.
      expect(isDependencyFailure(error)).toBe(true);
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(busy);
      expect(after.rows[0]?.pid).toBeTypeOf('number');
      expect(after.rows[0]?.pid).not.toBe(pid);
    } finally {
      await admin.end();
      await busy.destroy();
    }
  });
});
