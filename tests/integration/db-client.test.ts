import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../lib/config.js';
import { createDb } from '../../lib/db/client.js';

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
});
