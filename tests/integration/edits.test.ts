// PATCH /api/documents/{id} (docs/api.md "Editing documents, bulk actions and the trash"): names, topics, versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/documents.js';
import { handler as searchHandler } from '../../functions/search.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { call } from '../helpers/api.js';
import { inspectState, type StateInspector } from '../helpers/invariants.js';
import { insertTopic } from '../helpers/topics.js';
import { uploadDocument } from '../helpers/uploads.js';
import { newUser, type TestUser } from '../helpers/users.js';

let state: StateInspector;
beforeAll(async () => {
  state = await inspectState();
});
afterAll(async () => {
  await state.close();
  await closeDb();
});

const edit = (token: string, id: string, body: unknown, headers: Record<string, string> = {}) =>
  call(handler, { method: 'PATCH', path: `/api/documents/${id}`, token, body, headers });
const get = (token: string, id: string) =>
  call(handler, { method: 'GET', path: `/api/documents/${id}`, token });

async function linksOf(documentId: string) {
  return db()
    .selectFrom('document_topics')
    .select(['topic_id', 'source'])
    .where('document_id', '=', documentId)
    .orderBy('topic_id')
    .execute();
}

async function rejectionsOf(documentId: string) {
  const rows = await db()
    .selectFrom('document_topic_rejections')
    .select('topic_id')
    .where('document_id', '=', documentId)
    .execute();
  return rows.map((row) => row.topic_id).sort();
}

/** The document's row and links as stored, to prove a refused request changed nothing. */
async function snapshotOf(id: string) {
  const row = await db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
  return { row, links: await linksOf(id), rejections: await rejectionsOf(id) };
}

async function documentWithTopics(user: TestUser) {
  const id = await uploadDocument(user.token, 'hello', { filename: 'scan_0042.txt' });
  const kept = await insertTopic(user.userId, 'Kept');
  const dropped = await insertTopic(user.userId, 'Dropped');
  const added = await insertTopic(user.userId, 'Added');
  await db()
    .insertInto('document_topics')
    .values([
      { document_id: id, topic_id: kept, source: 'ai' },
      { document_id: id, topic_id: dropped, source: 'ai' },
    ])
    .execute();
  return { id, kept, dropped, added };
}

describe('PATCH /api/documents/{id}', () => {
  it('renames and sets the whole set of topics: user links, the removed one rejected, version + 1 and its ETag', async () => {
    const user = await newUser({ provisioned: true });
    const { id, kept, dropped, added } = await documentWithTopics(user);
    const before = await get(user.token, id);
    expect(before.headers.ETag).toBe('"1"');

    const result = await edit(user.token, id, { filename: 'Invoice March.txt', topicIds: [kept, added] });

    expect(result.status).toBe(200);
    expect(result.headers.ETag).toBe('"2"');
    expect(result.body.document).toMatchObject({
      id,
      filename: 'Invoice March.txt',
      version: 2,
      deletedAt: null,
    });
    expect(
      result.body.document.topics.map((t: { name: string; source: string }) => [t.name, t.source]),
    ).toEqual([
      ['Added', 'user'],
      ['Kept', 'user'],
    ]);
    expect(await rejectionsOf(id)).toEqual([dropped]);
    expect((await get(user.token, id)).headers.ETag).toBe('"2"');
    // Downloads use the new name (the key stays); search finds it by it.
    expect((await get(user.token, id)).body.downloadUrl).toContain('Invoice%20March.txt');
    const search = await call(searchHandler, {
      method: 'GET',
      path: '/api/search',
      token: user.token,
      query: { q: 'invoice' },
    });
    expect(search.body.results.map((r: { document: { id: string } }) => r.document.id)).toEqual([id]);
    expect(await state.violations([user.userId])).toEqual([]);
  });

  it('a topic set again is no longer rejected; the filename alone leaves the topics', async () => {
    const user = await newUser({ provisioned: true });
    const { id, kept, dropped } = await documentWithTopics(user);
    await edit(user.token, id, { topicIds: [kept] });
    expect(await rejectionsOf(id)).toEqual([dropped]);

    expect((await edit(user.token, id, { topicIds: [kept, dropped] })).status).toBe(200);
    expect(await rejectionsOf(id)).toEqual([]);
    const renamed = await edit(user.token, id, { filename: 'b.txt' });
    expect(renamed.body.document.topics).toHaveLength(2);
    expect(renamed.body.document.version).toBe(4);
  });

  it('accepts system topics and an empty set (every topic taken off)', async () => {
    const user = await newUser({ provisioned: true });
    const { id, kept, dropped } = await documentWithTopics(user);
    const system = await db()
      .insertInto('topics')
      .values({ user_id: null, name: `System ${id}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      expect((await edit(user.token, id, { topicIds: [system.id] })).body.document.topics).toEqual([
        { id: system.id, name: `System ${id}`, scope: 'system', source: 'user' },
      ]);
      expect((await edit(user.token, id, { topicIds: [] })).body.document.topics).toEqual([]);
      expect(await rejectionsOf(id)).toEqual([kept, dropped, system.id].sort());
    } finally {
      await db().deleteFrom('topics').where('id', '=', system.id).execute();
    }
  });

  it('with a current If-Match edits; with a stale one answers 412 precondition_failed and changes nothing', async () => {
    const user = await newUser({ provisioned: true });
    const { id } = await documentWithTopics(user);
    expect((await edit(user.token, id, { filename: 'one.txt' }, { 'If-Match': '"1"' })).status).toBe(200);
    const before = await snapshotOf(id);

    const stale = await edit(user.token, id, { filename: 'two.txt' }, { 'If-Match': '"1"' });

    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'precondition_failed', message: expect.any(String) });
    expect(await snapshotOf(id)).toEqual(before);
  });

  it('two concurrent edits with the same If-Match: one wins, the other is 412', async () => {
    const user = await newUser({ provisioned: true });
    const { id } = await documentWithTopics(user);

    const results = await Promise.all(
      ['a.txt', 'b.txt'].map((filename) => edit(user.token, id, { filename }, { 'If-Match': '"1"' })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200);
    expect((await get(user.token, id)).body.document).toMatchObject({
      filename: winner?.body.document.filename,
      version: 2,
    });
  });

  it("another user's document, and a trashed one, cannot be edited", async () => {
    const owner = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    const { id } = await documentWithTopics(owner);

    const foreign = await edit(other.token, id, { filename: 'mine.txt' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');

    await call(handler, { method: 'DELETE', path: `/api/documents/${id}`, token: owner.token });
    const before = await snapshotOf(id);
    const trashed = await edit(owner.token, id, { filename: 'x.txt' });
    expect(trashed.status).toBe(409);
    expect(trashed.body.error.code).toBe('conflict');
    expect(await snapshotOf(id)).toEqual(before);
    expect(await state.violations([owner.userId, other.userId])).toEqual([]);
  });

  describe('bad input is a 400 validation_error and changes nothing', () => {
    const cases: [string, (ids: { other: string }) => unknown, Record<string, string>?][] = [
      ['an empty body', () => ({})],
      ['a filename with control characters', () => ({ filename: 'a\u0007b.txt' })],
      ['an empty filename', () => ({ filename: '   ' })],
      ['an unknown topic id', () => ({ topicIds: ['00000000-0000-4000-8000-000000000000'] })],
      ["another user's topic", ({ other }) => ({ topicIds: [other] })],
      ['a topic id that is not a UUID', () => ({ topicIds: ['finance'] })],
      ['an unknown field', () => ({ filename: 'a.txt', status: 'classified' })],
      ['a malformed If-Match', () => ({ filename: 'a.txt' }), { 'If-Match': 'version-1' }],
      ['an unquoted If-Match', () => ({ filename: 'a.txt' }), { 'If-Match': '1' }],
    ];
    it.each(cases)('%s', async (_name, body, headers) => {
      const user = await newUser({ provisioned: true });
      const stranger = await newUser({ provisioned: true });
      const { id } = await documentWithTopics(user);
      const other = await insertTopic(stranger.userId, 'Theirs');
      const before = await snapshotOf(id);

      const result = await edit(user.token, id, body({ other }), headers);

      expect(result.status).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'validation_error', message: expect.any(String) });
      expect(await snapshotOf(id)).toEqual(before);
      expect(await state.violations([user.userId])).toEqual([]);
    });
  });
});
