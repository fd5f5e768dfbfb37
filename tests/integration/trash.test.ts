// A specification over 300 lines on purpose: the trash and bulk actions (docs/api.md "Editing documents, bulk actions and
// the trash"); each case sets up its own data.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/documents.js';
import { handler as multipartHandler } from '../../functions/multipart.js';
import { handler as searchHandler } from '../../functions/search.js';
import { handler as trashHandler } from '../../functions/trash.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { headObjectSize } from '../../lib/platform/aws/storage.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { purgeExpiredTrash } from '../../lib/purge/purge.js';
import { call } from '../helpers/api.js';
import { inspectState, type StateInspector } from '../helpers/invariants.js';
import { insertTopic } from '../helpers/topics.js';
import { confirm, putBytes, requestUpload, uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

let state: StateInspector;
beforeAll(async () => {
  state = await inspectState();
});
afterAll(async () => {
  await state.close();
  await closeDb();
});

const trash = (token: string, id: string) =>
  call(handler, { method: 'DELETE', path: `/api/documents/${id}`, token });
const restore = (token: string, id: string) =>
  call(handler, { method: 'POST', path: `/api/documents/${id}/restore`, token });
const get = (token: string, id: string) =>
  call(handler, { method: 'GET', path: `/api/documents/${id}`, token });
const list = (token: string, query: Record<string, string> = {}) =>
  call(handler, { method: 'GET', path: '/api/documents', token, query });
const listTrash = (token: string, query: Record<string, string> = {}) =>
  call(trashHandler, { method: 'GET', path: '/api/trash', token, query });
const deleteFromTrash = (token: string, id: string) =>
  call(trashHandler, { method: 'DELETE', path: `/api/trash/${id}`, token });
const emptyTrash = (token: string) => call(trashHandler, { method: 'DELETE', path: '/api/trash', token });
const bulk = (token: string, body: unknown) =>
  call(handler, { method: 'POST', path: '/api/documents/bulk', token, body });

async function usedBytes(userId: string): Promise<number> {
  const row = await db()
    .selectFrom('quotas')
    .select('used_bytes')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(row?.used_bytes);
}

const rowOf = (id: string) =>
  db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();

const ids = (page: { documents: { id: string }[] }) => page.documents.map((d) => d.id);

describe('DELETE /api/documents/{id} moves to the trash', () => {
  it('hides the document from the list, search and topic filters, keeps it counted, and GET shows deletedAt', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'zebra crossing', { filename: 'zebra.txt' });
    const kept = await uploadDocument(token, 'kept!');
    const topic = await insertTopic(userId, 'Animals');
    await db()
      .insertInto('document_topics')
      .values({ document_id: id, topic_id: topic, source: 'ai' })
      .execute();
    const searchFor = (query: Record<string, string>) =>
      call(searchHandler, { method: 'GET', path: '/api/search', token, query: { q: 'zebra', ...query } });
    const found = (page: { body: { results: { document: { id: string } }[] } }) =>
      page.body.results.map((r) => r.document.id);
    expect(found(await searchFor({}))).toEqual([id]);
    expect(found(await searchFor({ topicId: topic }))).toEqual([id]);
    expect(ids((await list(token, { topicId: topic })).body)).toEqual([id]);

    const result = await trash(token, id);

    expect(result.status).toBe(204);
    expect(ids((await list(token)).body)).toEqual([kept]);
    expect(ids((await list(token, { topicId: topic })).body)).toEqual([]);
    expect(found(await searchFor({}))).toEqual([]);
    expect(found(await searchFor({ topicId: topic }))).toEqual([]);
    expect(await usedBytes(userId)).toBe(19);
    const shown = await get(token, id);
    expect(shown.status).toBe(200);
    expect(shown.headers.ETag).toBe('"2"');
    expect(shown.body.document).toMatchObject({ version: 2, deletedAt: expect.any(String) });
    expect(ids((await listTrash(token)).body)).toEqual([id]);
    // Deleting it again leaves it in the trash.
    expect((await trash(token, id)).status).toBe(204);
    expect((await rowOf(id))?.version).toBe(2);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('a pending upload confirmed while its DELETE runs ends in the trash, never left in place behind a 204', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { size: 5 });
    await putBytes(ticket, 'hello');
    const id = ticket.document.id;
    // The confirm lands just after DELETE's first statement found the document pending (real statements, real rows).
    const original = pg.Client.prototype.query;
    let armed = true;
    let confirmed: { status: number } | undefined;
    const query = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (!armed || typeof args[0] !== 'string' || !args[0].includes('moved as (')) return result;
      armed = false;
      return (result as Promise<unknown>).then(async (rows) => {
        confirmed = await confirm(token, id);
        return rows;
      });
    } as typeof original);
    await closeDb(); // the pool binds query when it first hands a client out
    try {
      const deleted = await trash(token, id);
      expect(deleted.status).toBe(204);
    } finally {
      query.mockRestore();
      await closeDb();
    }

    expect(confirmed?.status).toBe(200);
    expect(await rowOf(id)).toMatchObject({ status: 'uploaded', deleted_at: expect.any(Date) });
    expect(ids((await listTrash(token)).body)).toEqual([id]);
    expect(await usedBytes(userId)).toBe(5);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('restore brings it back (200, version + 1); a document not in the trash is 409 and changes nothing', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'hello');
    await trash(token, id);

    const restored = await restore(token, id);

    expect(restored.status).toBe(200);
    expect(restored.headers.ETag).toBe('"3"');
    expect(restored.body.document).toMatchObject({ id, version: 3, deletedAt: null });
    expect(ids((await list(token)).body)).toEqual([id]);
    const before = await rowOf(id);
    const again = await restore(token, id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', message: expect.any(String) });
    expect(await rowOf(id)).toEqual(before);
    const foreign = await restore((await newUser()).token, id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect(await state.violations([userId])).toEqual([]);
  });

  it('a trashed document still answers duplicate checks, with trashed: true', async () => {
    const { token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'same bytes');
    const sha256 = 'a'.repeat(64);
    await db().updateTable('documents').set({ sha256 }).where('id', '=', id).execute();
    await trash(token, id);

    // A single PUT and a multipart upload ask the same question.
    for (const [start, path] of [
      [uploadUrlHandler, '/api/documents/upload-url'],
      [multipartHandler, '/api/documents/multipart'],
    ] as const) {
      const body = { filename: 'again.txt', contentType: 'text/plain', size: 10, sha256 };
      const result = await call(start, { method: 'POST', path, token, body });

      expect(result.status, path).toBe(409);
      expect(result.body.error).toMatchObject({
        code: 'duplicate',
        details: { documentId: id, trashed: true },
      });
    }
  });
});

describe('GET /api/trash', () => {
  it('pages newest deletion first', async () => {
    const { token } = await newUser({ provisioned: true });
    const docs = [];
    for (const content of ['one', 'two', 'three']) docs.push(await uploadDocument(token, content));
    for (const id of docs) await trash(token, id);

    const first = await listTrash(token, { limit: '2' });
    expect(ids(first.body)).toEqual([docs[2], docs[1]]);
    const second = await listTrash(token, { limit: '2', cursor: first.body.nextCursor });
    expect(ids(second.body)).toEqual([docs[0]]);
    expect(second.body.nextCursor).toBeNull();
    expect((await listTrash((await newUser()).token)).body).toEqual({ documents: [], nextCursor: null });
  });
});

describe('deleting from the trash for good', () => {
  it('DELETE /api/trash/{id} deletes object and row and refunds; one outside the trash is 409, another user’s 404', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'eleven byte');
    const live = await uploadDocument(token, 'live!');
    const key = (await rowOf(id))?.storage_key ?? '';
    await trash(token, id);

    const foreign = await deleteFromTrash((await newUser()).token, id);
    expect(foreign.status).toBe(404);
    const notTrashed = await deleteFromTrash(token, live);
    expect(notTrashed.status).toBe(409);
    expect(notTrashed.body.error.code).toBe('conflict');
    expect(await usedBytes(userId)).toBe(16);

    expect((await deleteFromTrash(token, id)).status).toBe(204);
    expect(await rowOf(id)).toBeUndefined();
    expect(await headObjectSize(key)).toBeUndefined();
    expect(await usedBytes(userId)).toBe(5);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('10 concurrent DELETE /api/trash empty it once: every object, row and byte, the live documents untouched', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const trashed = [await uploadDocument(token, 'aaaa'), await uploadDocument(token, 'bbbbbb')];
    const live = await uploadDocument(token, 'live!');
    const keys = await Promise.all(trashed.map(async (id) => (await rowOf(id))?.storage_key ?? ''));
    for (const id of trashed) await trash(token, id);

    const results = await Promise.all(Array.from({ length: 10 }, () => emptyTrash(token)));

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(204));
    for (const id of trashed) expect(await rowOf(id)).toBeUndefined();
    for (const key of keys) expect(await headObjectSize(key)).toBeUndefined();
    expect(await rowOf(live)).toBeDefined();
    expect(await usedBytes(userId)).toBe(5);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('10 concurrent DELETE /api/trash/{id}: one 204, the rest 404, refunded once', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'eleven byte');
    await trash(token, id);

    const results = await Promise.all(Array.from({ length: 10 }, () => deleteFromTrash(token, id)));

    expect(results.map((r) => r.status).sort()).toEqual([204, ...Array(9).fill(404)]);
    expect(await usedBytes(userId)).toBe(0);
    expect(await state.violations([userId])).toEqual([]);
  });

  it('the purge deletes for good what stayed longer than TRASH_RETENTION_DAYS, and nothing newer', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const old = await uploadDocument(token, 'old bytes');
    const recent = await uploadDocument(token, 'recent');
    await trash(token, old);
    await trash(token, recent);
    await sql`update documents set deleted_at = now() - interval '31 days' where id = ${old}`.execute(db());

    await purgeExpiredTrash();

    expect(await rowOf(old)).toBeUndefined();
    expect(await rowOf(recent)).toBeDefined();
    expect(await usedBytes(userId)).toBe(6);
    expect(await state.violations([userId])).toEqual([]);
  });
});

describe('POST /api/documents/bulk', () => {
  it('answers each id in order: own ones ok, another user’s and unknown ones not_found, never blocking the rest', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    const first = await uploadDocument(token, 'one');
    const mine = [first, await uploadDocument(token, 'two')];
    const theirs = await uploadDocument(other.token, 'theirs');
    const unknown = randomUUID();
    const topic = await insertTopic(userId, 'Bulk');

    const added = await bulk(token, {
      ids: [mine[0], theirs, unknown, mine[1]],
      action: 'addTopics',
      topicIds: [topic],
    });

    expect(added.status).toBe(200);
    expect(added.body.results).toEqual([
      { id: mine[0], outcome: 'ok' },
      { id: theirs, outcome: 'not_found' },
      { id: unknown, outcome: 'not_found' },
      { id: mine[1], outcome: 'ok' },
    ]);
    for (const id of mine) {
      expect((await get(token, id)).body.document).toMatchObject({
        version: 2,
        topics: [{ id: topic, name: 'Bulk', scope: 'user', source: 'user' }],
      });
    }
    expect((await get(other.token, theirs)).body.document).toMatchObject({ version: 1, topics: [] });

    const removed = await bulk(token, { ids: mine, action: 'removeTopics', topicIds: [topic] });
    expect(removed.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['ok', 'ok']);
    expect((await get(token, first)).body.document.topics).toEqual([]);
    const rejected = await db()
      .selectFrom('document_topic_rejections')
      .selectAll()
      .where('topic_id', '=', topic)
      .execute();
    expect(rejected).toHaveLength(2);

    const trashed = await bulk(token, { ids: [...mine, theirs], action: 'trash' });
    expect(trashed.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
      'ok',
      'ok',
      'not_found',
    ]);
    expect(ids((await list(token)).body)).toEqual([]);
    // A trashed document cannot be reclassified or tagged: conflict.
    const reclassify = await bulk(token, { ids: mine, action: 'reclassify' });
    expect(reclassify.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
      'conflict',
      'conflict',
    ]);
    const restored = await bulk(token, { ids: [mine[0]], action: 'restore' });
    expect(restored.body.results).toEqual([{ id: mine[0], outcome: 'ok' }]);
    const restoredAgain = await bulk(token, { ids: [mine[0], mine[1]], action: 'restore' });
    expect(restoredAgain.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['conflict', 'ok']);

    const reclassified = await bulk(token, { ids: [mine[0], theirs], action: 'reclassify' });
    expect(reclassified.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['ok', 'not_found']);
    expect(await rowOf(first)).toMatchObject({ status: 'uploaded' });

    const deleted = await bulk(token, { ids: [...mine, theirs], action: 'deletePermanently' });
    expect(deleted.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
      'ok',
      'ok',
      'not_found',
    ]);
    expect(await usedBytes(userId)).toBe(0);
    expect(await usedBytes(other.userId)).toBe(6);
    expect(await rowOf(theirs)).toBeDefined();
    expect(await state.violations([userId, other.userId])).toEqual([]);
  });

  it('trash of a pending upload deletes it at once', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { size: 4 });

    const result = await bulk(token, { ids: [ticket.document.id], action: 'trash' });

    expect(result.body.results).toEqual([{ id: ticket.document.id, outcome: 'ok' }]);
    expect(await rowOf(ticket.document.id)).toBeUndefined();
    expect(await state.violations([userId])).toEqual([]);
  });

  describe('bad input is a 400 validation_error for the whole call, and changes nothing', () => {
    const cases: [string, (ctx: { id: string; foreignTopic: string }) => unknown][] = [
      [
        '101 ids',
        ({ id }) => ({ ids: [id, ...Array.from({ length: 100 }, () => randomUUID())], action: 'trash' }),
      ],
      ['no ids', () => ({ ids: [], action: 'trash' })],
      ['an id that is not a UUID', ({ id }) => ({ ids: [id, 'nope'], action: 'trash' })],
      ['an unknown action', ({ id }) => ({ ids: [id], action: 'shred' })],
      ['addTopics without topicIds', ({ id }) => ({ ids: [id], action: 'addTopics' })],
      [
        'topicIds with trash',
        ({ id, foreignTopic }) => ({ ids: [id], action: 'trash', topicIds: [foreignTopic] }),
      ],
      [
        'another user’s topic',
        ({ id, foreignTopic }) => ({ ids: [id], action: 'addTopics', topicIds: [foreignTopic] }),
      ],
      ['an unknown topic', ({ id }) => ({ ids: [id], action: 'removeTopics', topicIds: [randomUUID()] })],
    ];
    it.each(cases)('%s', async (_name, body) => {
      const { userId, token } = await newUser({ provisioned: true });
      const stranger = await newUser({ provisioned: true });
      const id = await uploadDocument(token, 'hello');
      const foreignTopic = await insertTopic(stranger.userId, 'Theirs');
      const before = await rowOf(id);

      const result = await bulk(token, body({ id, foreignTopic }));

      expect(result.status).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'validation_error', message: expect.any(String) });
      expect(await rowOf(id)).toEqual(before);
      expect(await state.violations([userId])).toEqual([]);
    });
  });

  it('costs the same number of SQL statements for 1 id as for 100', async () => {
    /** A user with `count` classified documents, seeded in one statement (their objects do not matter here). */
    async function seeded(count: number) {
      const user = await newUser({ provisioned: true });
      const rows = await sql<{ id: string }>`
        insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, confirmed_at)
        select id, ${user.userId}, 'f.txt', 'text/plain', 1, 'users/' || ${user.userId} || '/' || id || '/f.txt',
          'classified', now()
        from (select gen_random_uuid() as id from generate_series(1, ${count})) g
        returning id
      `.execute(db());
      return {
        ...user,
        ids: rows.rows.map((row) => row.id),
        topic: await insertTopic(user.userId, 'Counted'),
      };
    }
    const users = [await seeded(1), await seeded(100)];
    const query = vi.spyOn(pg.Client.prototype, 'query');
    // The pool binds each client's query when it first hands the client out: start from fresh clients.
    await closeDb();
    const counts: Record<string, number[]> = {};
    try {
      for (const action of [
        'addTopics',
        'removeTopics',
        'reclassify',
        'trash',
        'restore',
        'deletePermanently',
      ]) {
        for (const user of users) {
          const topicIds = action.endsWith('Topics') ? { topicIds: [user.topic] } : {};
          query.mockClear();
          const result = await bulk(user.token, { ids: user.ids, action, ...topicIds });
          counts[action] = [...(counts[action] ?? []), query.mock.calls.length];
          expect(
            result.body.results.every((r: { outcome: string }) => r.outcome === 'ok'),
            action,
          ).toBe(true);
        }
      }
    } finally {
      query.mockRestore();
    }
    for (const [action, [one, hundred]] of Object.entries(counts)) {
      expect(one, action).toBeGreaterThan(0);
      expect(hundred, action).toBe(one);
    }
  });
});
