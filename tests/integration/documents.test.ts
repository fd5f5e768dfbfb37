// A specification over 300 lines on purpose: the document routes: list, get, delete, reclassify; each case sets up its own data.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/documents.js';
import { contentDisposition, headObjectSize } from '../../lib/platform/aws/storage.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { call } from '../helpers/api.js';
import { awaitClassifyMessage } from '../helpers/queue.js';
import { insertTopic } from '../helpers/topics.js';
import { putBytes, requestUpload, uploadDocument } from '../helpers/uploads.js';
import { newUser, type TestUser } from '../helpers/users.js';

afterAll(closeDb);

const list = (token: string, query: Record<string, string> = {}) =>
  call(handler, { method: 'GET', path: '/api/documents', token, query });
const get = (token: string, id: string) =>
  call(handler, { method: 'GET', path: `/api/documents/${id}`, token });
const remove = (token: string, id: string) =>
  call(handler, { method: 'DELETE', path: `/api/documents/${id}`, token });
const removePermanently = (token: string, id: string) =>
  call(handler, { method: 'DELETE', path: `/api/documents/${id}`, token, query: { permanent: 'true' } });
const classify = (token: string, id: string) =>
  call(handler, { method: 'POST', path: `/api/documents/${id}/classify`, token });

/**
 * `count` documents straight into the table, statuses cycling pending/uploaded/classified/failed. Timestamps come in
 * threes: two rows share a created_at exactly (a tie the id breaks) and the third is one microsecond older, a
 * difference a millisecond-precision cursor would lose. All are recent, so no purge elsewhere touches them.
 */
async function seedDocuments(userId: string, count: number): Promise<void> {
  await sql`
    insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, created_at,
                           confirmed_at)
    select id, ${userId}, 'doc-' || g || '.txt', 'text/plain', case when status = 'pending' then null else 10 end,
           'users/' || ${userId} || '/' || id || '/doc-' || g || '.txt', status, ts,
           case when status = 'pending' then null else ts end
    from (
      select g, gen_random_uuid() as id,
             (array['pending', 'uploaded', 'classified', 'failed'])[1 + g % 4] as status,
             now() - (g / 3) * interval '1 millisecond' - (g % 3 = 2)::int * interval '1 microsecond' as ts
      from generate_series(1, ${count}) g
    ) seed
  `.execute(db());
}

/** Files every `every`-th of the user's documents (in creation order) under the topic. */
async function attachTopic(userId: string, topicId: string, every: number): Promise<void> {
  await sql`
    insert into document_topics (document_id, topic_id, source)
    select id, ${topicId}, 'ai' from (
      select id, row_number() over (order by created_at, id) as n from documents where user_id = ${userId}
    ) numbered where n % ${every} = 0
  `.execute(db());
}

/** What the listing must return, computed independently of the code under test. */
async function expectedIds(userId: string, filter: { status?: string; topicId?: string } = {}) {
  const rows = await sql<{ id: string }>`
    select d.id from documents d
    where d.user_id = ${userId}
      and (${filter.status ?? null}::text is null or d.status = ${filter.status ?? null})
      and (${filter.topicId ?? null}::uuid is null or exists (
        select 1 from document_topics dt where dt.document_id = d.id and dt.topic_id = ${filter.topicId ?? null}))
    order by d.created_at desc, d.id desc
  `.execute(db());
  return rows.rows.map((row) => row.id);
}

/** Follows nextCursor to the end; returns every id in order and the page sizes. */
async function listAll(token: string, query: Record<string, string>) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const result = await list(token, { ...query, ...(cursor ? { cursor } : {}) });
    expect(result.status).toBe(200);
    ids.push(...result.body.documents.map((doc: { id: string }) => doc.id));
    sizes.push(result.body.documents.length);
    cursor = result.body.nextCursor;
    expect(sizes.length).toBeLessThan(500);
  } while (cursor);
  return { ids, sizes };
}

async function documentRow(id: string) {
  return db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
}

async function usedBytes(userId: string) {
  const quota = await db()
    .selectFrom('quotas')
    .select('used_bytes')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return quota.used_bytes;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('GET /api/documents over 250 documents', () => {
  let owner: TestUser;
  let topicId: string;

  beforeAll(async () => {
    owner = await newUser({ provisioned: true });
    await seedDocuments(owner.userId, 250);
    topicId = await insertTopic(owner.userId, 'Invoices');
    await attachTopic(owner.userId, topicId, 5);
  });

  it('walks every document newest first, page by page, with no duplicates or gaps', async () => {
    const { ids, sizes } = await listAll(owner.token, { limit: '7' });

    expect(ids).toEqual(await expectedIds(owner.userId));
    expect(new Set(ids).size).toBe(250);
    expect(sizes).toEqual([...Array(35).fill(7), 5]);
  });

  it('pages through one status only', async () => {
    const { ids } = await listAll(owner.token, { status: 'classified', limit: '9' });

    const expected = await expectedIds(owner.userId, { status: 'classified' });
    expect(expected.length).toBeGreaterThan(50);
    expect(ids).toEqual(expected);
  });

  it('pages through one topic only, and a status within it', async () => {
    const byTopic = await listAll(owner.token, { topicId, limit: '8' });
    const byBoth = await listAll(owner.token, { topicId, status: 'uploaded', limit: '3' });

    expect(byTopic.ids).toEqual(await expectedIds(owner.userId, { topicId }));
    expect(byTopic.ids).toHaveLength(50);
    expect(byBoth.ids).toEqual(await expectedIds(owner.userId, { topicId, status: 'uploaded' }));
  });

  it('returns 20 by default with each document in the contract shape and its topics', async () => {
    const result = await list(owner.token);

    expect(result.status).toBe(200);
    expect(result.body.documents).toHaveLength(20);
    expect(typeof result.body.nextCursor).toBe('string');
    const tagged = result.body.documents.filter((doc: { topics: unknown[] }) => doc.topics.length > 0);
    expect(tagged.length).toBeGreaterThan(0);
    expect(tagged[0].topics).toEqual([{ id: topicId, name: 'Invoices', scope: 'user', source: 'ai' }]);
    expect(Object.keys(result.body.documents[0]).sort()).toEqual(
      [
        'classifiedAt',
        'confirmedAt',
        'contentType',
        'createdAt',
        'deletedAt',
        'duplicateOf',
        'error',
        'filename',
        'id',
        'pageCount',
        'sha256',
        'sizeBytes',
        'status',
        'textSource',
        'thumbnailUrl',
        'topics',
        'version',
      ].sort(),
    );
  });

  it('answers the last page with nextCursor null', async () => {
    const result = await list(owner.token, { limit: '100', status: 'failed' });

    expect(result.status).toBe(200);
    expect(result.body.documents.length).toBeLessThan(100);
    expect(result.body.nextCursor).toBeNull();
  });

  it('a cursor carried to another user only pages through that user’s own documents', async () => {
    const other = await newUser({ provisioned: true });
    await seedDocuments(other.userId, 3);
    const first = await list(owner.token, { limit: '5' });

    const result = await list(other.token, { cursor: first.body.nextCursor });

    expect(result.status).toBe(200);
    const ownerIds = new Set(await expectedIds(owner.userId));
    for (const doc of result.body.documents) expect(ownerIds.has(doc.id)).toBe(false);
  });
});

describe('GET /api/documents filters', () => {
  it('a topic the caller cannot see, or that does not exist, lists nothing', async () => {
    const owner = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    await seedDocuments(owner.userId, 5);
    const othersTopic = await insertTopic(other.userId, 'Private');
    await seedDocuments(other.userId, 5);
    await attachTopic(other.userId, othersTopic, 1);

    const foreign = await list(owner.token, { topicId: othersTopic });
    const unknown = await list(owner.token, { topicId: randomUUID() });

    expect(foreign.status).toBe(200);
    expect(foreign.body).toEqual({ documents: [], nextCursor: null });
    expect(unknown.body).toEqual({ documents: [], nextCursor: null });
  });

  it('a caller with no documents gets an empty page', async () => {
    const { token } = await newUser({ provisioned: true });
    expect((await list(token)).body).toEqual({ documents: [], nextCursor: null });
  });

  const bad: [string, Record<string, string>][] = [
    ['limit 0', { limit: '0' }],
    ['limit 101', { limit: '101' }],
    ['a negative limit', { limit: '-1' }],
    ['a fractional limit', { limit: '1.5' }],
    ['a word for a limit', { limit: 'ten' }],
    ['an empty limit', { limit: '' }],
    ['an exponent limit', { limit: '1e1' }],
    ['an unknown status', { status: 'done' }],
    ['a status in another case', { status: 'PENDING' }],
    ['a topicId that is not a uuid', { topicId: 'invoices' }],
    ['a topicId with SQL in it', { topicId: "' or 1=1 --" }],
  ];
  for (const [name, query] of bad) {
    it(`${name} is 400 validation_error`, async () => {
      const { token } = await newUser({ provisioned: true });
      const result = await list(token, query);
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
      expect(result.body.error.details.length).toBeGreaterThan(0);
    });
  }
});

describe('GET /api/documents rejects a cursor it did not issue', () => {
  const id = randomUUID();
  const cursors: [string, string][] = [
    ['garbage', 'not a cursor!'],
    ['an empty string', ''],
    ['base64 of text that is not JSON', b64('hello')],
    ['base64 of JSON null', b64('null')],
    ['base64 of a JSON array', b64('["2025-01-01T00:00:00.000000Z","x"]')],
    ['base64 of an object with the wrong fields', b64('{"a":1}')],
    ['a cursor whose id is not a uuid', b64(JSON.stringify({ c: '2025-01-01T00:00:00.000000Z', i: 'x' }))],
    ['a cursor with SQL for an id', b64(JSON.stringify({ c: '2025-01-01T00:00:00.000000Z', i: "'; drop" }))],
    ['a cursor with a date-only time', b64(JSON.stringify({ c: '2025-01-01', i: id }))],
    ['a cursor with 30 February', b64(JSON.stringify({ c: '2025-02-30T00:00:00.000000Z', i: id }))],
    ['a cursor with hour 24', b64(JSON.stringify({ c: '2025-01-01T24:00:00.000000Z', i: id }))],
    ['a cursor with year 0', b64(JSON.stringify({ c: '0000-01-01T00:00:00.000000Z', i: id }))],
    ['a cursor with a numeric time', b64(JSON.stringify({ c: 1735689600000, i: id }))],
    [
      'a huge cursor',
      b64(JSON.stringify({ c: '2025-01-01T00:00:00.000000Z', i: id, pad: 'x'.repeat(100_000) })),
    ],
  ];
  for (const [name, cursor] of cursors) {
    it(`${name} → 400 validation_error`, async () => {
      const { token } = await newUser({ provisioned: true });
      const result = await list(token, { cursor });
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('validation_error');
    });
  }

  it('a well-formed cursor naming no document still pages from that position', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    await seedDocuments(userId, 4);
    const future = b64(JSON.stringify({ c: '9999-12-31T23:59:59.999999Z', i: randomUUID() }));

    const result = await list(token, { cursor: future });

    expect(result.status).toBe(200);
    expect(result.body.documents.map((doc: { id: string }) => doc.id)).toEqual(await expectedIds(userId));
  });
});

describe('GET /api/documents/{id}', () => {
  it('gives a download URL that serves the real bytes under the original non-ASCII filename', async () => {
    const { token } = await newUser({ provisioned: true });
    const filename = 'Résumé – 履歴書 "final" (v2).txt';
    const id = await uploadDocument(token, 'hello, kite', { filename });

    const result = await get(token, id);

    expect(result.status).toBe(200);
    expect(result.body.document).toMatchObject({
      id,
      filename,
      status: 'uploaded',
      sizeBytes: 11,
      topics: [],
    });
    const response = await fetch(result.body.downloadUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello, kite');
    const disposition = response.headers.get('content-disposition') ?? '';
    expect(disposition).toBe(contentDisposition(filename));
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(encoded)).toBe(filename);
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+";/);
  });

  it('a pending document has no download URL', async () => {
    const { token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { size: 3 });

    const result = await get(token, ticket.document.id);

    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      document: expect.objectContaining({ status: 'pending', thumbnailUrl: null, textSource: null }),
      downloadUrl: null,
      previewUrl: null,
    });
  });

  it("another user's document, an unknown id and a malformed id are 404 not_found", async () => {
    const owner = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    const id = await uploadDocument(owner.token, 'secret');

    for (const target of [id, randomUUID(), 'not-a-uuid']) {
      const result = await get(other.token, target);
      expect(result.status).toBe(404);
      expect(result.body.error.code).toBe('not_found');
    }
  });
});

describe('DELETE /api/documents/{id}', () => {
  it('10 concurrent permanent deletes remove the object and the row and refund the bytes exactly once', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'eleven byte');
    await uploadDocument(token, 'kept!');
    const key = (await documentRow(id))?.storage_key ?? '';
    expect(await usedBytes(userId)).toBe(16);

    const results = await Promise.all(Array.from({ length: 10 }, () => removePermanently(token, id)));

    // One call deletes it; the others find it gone.
    expect(results.map((result) => result.status).sort()).toEqual([204, ...Array(9).fill(404)]);
    expect(await usedBytes(userId)).toBe(5);
    expect(await documentRow(id)).toBeUndefined();
    expect(await headObjectSize(key)).toBeUndefined();
    expect((await get(token, id)).status).toBe(404);
  });

  it('a permanent= that is neither true nor false is a 400 that changes nothing', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await uploadDocument(token, 'keep me');
    const before = await documentRow(id);
    for (const permanent of ['yes', '1', 'TRUE', '']) {
      const result = await call(handler, {
        method: 'DELETE',
        path: `/api/documents/${id}`,
        token,
        query: { permanent },
      });
      expect(result.status, permanent).toBe(400);
      expect(result.body.error).toMatchObject({ code: 'validation_error', message: expect.any(String) });
    }
    expect(await documentRow(id)).toEqual(before);
    expect(await usedBytes(userId)).toBe(7);
  });

  it('deleting a pending document (nothing to restore) removes it and its object at once, refunding nothing', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    await uploadDocument(token, 'counted');
    const ticket = await requestUpload(token, { size: 4 });
    await putBytes(ticket, 'abcd');
    const key = (await documentRow(ticket.document.id))?.storage_key ?? '';

    const result = await remove(token, ticket.document.id);

    expect(result.status).toBe(204);
    expect(result.body).toBeUndefined();
    expect(await documentRow(ticket.document.id)).toBeUndefined();
    expect(await headObjectSize(key)).toBeUndefined();
    expect(await usedBytes(userId)).toBe(7);
  });

  it("another user's document is 404 and keeps its row, object and quota", async () => {
    const owner = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    const id = await uploadDocument(owner.token, 'mine');
    const key = (await documentRow(id))?.storage_key ?? '';

    for (const result of [await remove(other.token, id), await removePermanently(other.token, id)]) {
      expect(result.status).toBe(404);
      expect(result.body.error.code).toBe('not_found');
    }
    expect(await documentRow(id)).toMatchObject({ deleted_at: null });
    expect(await headObjectSize(key)).toBe(4);
    expect(await usedBytes(owner.userId)).toBe(4);
  });
});

/** A document as classification leaves it, inserted directly, so no confirm message is on the queue for it. */
async function seedClassified(userId: string): Promise<string> {
  const id = randomUUID();
  await db()
    .insertInto('documents')
    .values({
      id,
      user_id: userId,
      filename: 'done.txt',
      content_type: 'text/plain',
      size_bytes: 4,
      storage_key: `users/${userId}/${id}/done.txt`,
      status: 'classified',
      error: null,
      confirmed_at: new Date(),
      classified_at: new Date(),
      text_source: 'text',
    })
    .execute();
  return id;
}

describe('POST /api/documents/{id}/classify', () => {
  it('puts a classified document back to uploaded, answers 202 and queues it', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const id = await seedClassified(userId);
    const topicId = await insertTopic(userId, 'Kept');
    await attachTopic(userId, topicId, 1);

    const result = await classify(token, id);

    expect(result.status).toBe(202);
    expect(result.body.document).toMatchObject({ id, status: 'uploaded', classifiedAt: null, error: null });
    expect(result.body.document.topics).toEqual([{ id: topicId, name: 'Kept', scope: 'user', source: 'ai' }]);
    // Reclassifying starts at classification: the extract stage (OCR) does not run again.
    expect(await awaitClassifyMessage(id)).toEqual({ documentId: id });
    expect((await documentRow(id))?.status).toBe('uploaded');
  });

  it('a pending document is 409 conflict and stays pending', async () => {
    const { token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { size: 3 });

    const result = await classify(token, ticket.document.id);

    expect(result.status).toBe(409);
    expect(result.body.error.code).toBe('conflict');
    expect((await documentRow(ticket.document.id))?.status).toBe('pending');
  });

  it("another user's document is 404 and stays classified", async () => {
    const owner = await newUser({ provisioned: true });
    const other = await newUser({ provisioned: true });
    const id = await seedClassified(owner.userId);

    const result = await classify(other.token, id);

    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('not_found');
    expect((await documentRow(id))?.status).toBe('classified');
  });
});

describe('documents routes', () => {
  it('need a bearer token', async () => {
    const result = await call(handler, { method: 'GET', path: '/api/documents' });
    expect(result.status).toBe(401);
    expect(result.body.error.code).toBe('unauthorized');
  });

  it('an unknown method on a documents path is 404', async () => {
    const { token } = await newUser({ provisioned: true });
    const result = await call(handler, { method: 'PUT', path: `/api/documents/${randomUUID()}`, token });
    expect(result.status).toBe(404);
  });
});
