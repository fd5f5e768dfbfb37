import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { bulkAction, editDocument } from '../lib/documents/edits.js';
import { closeDb, db } from '../lib/platform/db/client.js';
import { ensureUser } from '../lib/users/users.queries.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * What editing costs (docs/api.md "Editing documents, bulk actions and the trash"), at the service layer (no HTTP, no
 * authentication; the router adds the same few statements to every call):
 * - a bulk action (addTopics) on 1 and on 100 documents: SQL statements per call and time, against 100 single
 *   PATCHes doing the same;
 * - PATCH (a rename) p50 against the floor of one bare `UPDATE … SET version = version + 1` of the same row,
 *   measured in the same run.
 */
export async function benchBulk(): Promise<BenchResult> {
  let statements = 0;
  const original = pg.Client.prototype.query;
  // Counts every statement any client sends; the pool binds `query` when it first hands a client out, so the
  // counter is installed before a fresh pool is made.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements += 1;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  await closeDb();
  try {
    const userId = `bench-bulk-${randomUUID()}`;
    await ensureUser(db(), { id: userId, email: null, role: 'user' }, 1024 ** 3);
    const topic = await db()
      .insertInto('topics')
      .values({ user_id: userId, name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const seeded = await sql<{ id: string }>`
      insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, confirmed_at)
      select id, ${userId}, 'f.txt', 'text/plain', 1, 'users/' || ${userId} || '/' || id || '/f.txt', 'classified', now()
      from (select gen_random_uuid() as id from generate_series(1, 101)) g
      returning id
    `.execute(db());
    const ids = seeded.rows.map((row) => row.id);
    const [single = '', ...hundred] = ids;

    const measure = async (fn: () => Promise<unknown>) => {
      statements = 0;
      const start = performance.now();
      await fn();
      return { ms: performance.now() - start, statements };
    };
    const body = (batch: string[]) => ({ ids: batch, action: 'addTopics' as const, topicIds: [topic.id] });
    await bulkAction(userId, body([single])); // warm
    const one = await measure(() => bulkAction(userId, body([single])));
    const bulk = await measure(() => bulkAction(userId, body(hundred)));
    const singles = await measure(async () => {
      for (const id of hundred) await editDocument(userId, id, { topicIds: [topic.id] }, undefined);
    });

    const patchMs: number[] = [];
    const floorMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      let start = performance.now();
      await editDocument(userId, single, { filename: `renamed-${i}.txt` }, undefined);
      patchMs.push(performance.now() - start);
      start = performance.now();
      await sql`update documents set version = version + 1 where id = ${single}`.execute(db());
      floorMs.push(performance.now() - start);
    }
    const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

    const rows: BenchRow[] = [
      {
        part: 'bulk',
        case: 'bulk addTopics, 1 id',
        rows: 1,
        seconds: one.ms / 1000,
        msPerRow: one.ms,
        note: `${one.statements} SQL statements`,
      },
      {
        part: 'bulk',
        case: 'bulk addTopics, 100 ids, one call',
        rows: 100,
        seconds: bulk.ms / 1000,
        msPerRow: bulk.ms / 100,
        note: `${bulk.statements} SQL statements`,
      },
      {
        part: 'bulk',
        case: '100 single PATCHes (same topics)',
        rows: 100,
        seconds: singles.ms / 1000,
        msPerRow: singles.ms / 100,
        note: `${singles.statements} SQL statements; the bulk call is ${(singles.ms / bulk.ms).toFixed(1)}× faster`,
      },
      {
        part: 'bulk',
        case: 'PATCH (rename) p50, 200 calls',
        rows: 200,
        seconds: patchMs.reduce((a, b) => a + b, 0) / 1000,
        msPerRow: p50(patchMs),
        note: `floor (one bare UPDATE of the row) p50 ${p50(floorMs).toFixed(2)} ms: PATCH/floor ${(p50(patchMs) / p50(floorMs)).toFixed(1)}×`,
      },
    ];
    await sql`delete from documents where user_id = ${userId}`.execute(db());
    return {
      rows,
      summary: {
        bulkStatements1: one.statements,
        bulkStatements100: bulk.statements,
        singlesStatements100: singles.statements,
        bulk100Ms: Number(bulk.ms.toFixed(1)),
        singles100Ms: Number(singles.ms.toFixed(1)),
        patchP50Ms: Number(p50(patchMs).toFixed(2)),
        updateFloorP50Ms: Number(p50(floorMs).toFixed(2)),
        patchOverFloor: Number((p50(patchMs) / p50(floorMs)).toFixed(1)),
      },
    };
  } finally {
    pg.Client.prototype.query = original;
    await closeDb();
  }
}
