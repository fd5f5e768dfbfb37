// A specification over 300 lines on purpose: content hashes, duplicate checks and Idempotency-Key; each case sets up its own data.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { handler as classifyHandler } from '../../functions/classify.js';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { purgeExpiredIdempotencyKeys } from '../../lib/purge/purge.js';
import { call, lambdaContext } from '../helpers/api.js';
import { MiB, uploadInParts } from '../helpers/multipart.js';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events.js';
import { confirm, putBytes, type UploadTicket } from '../helpers/uploads.js';
import { type NewUserOptions, newUser } from '../helpers/users.js';

// Room for a file in parts (the suite's default limit is 1 MiB).
await vi.hoisted(async () =>
  (await import('../helpers/fake-llm.js')).useFakeLlm({ MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) }),
);

afterAll(closeDb);

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

// A quota with room for the 11 MiB file in parts below (the suite's default is 10 MiB).
const OWNER: NewUserOptions = { label: 'dup', provisioned: { quotaBytes: 50 * MiB } };

function uploadUrl(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call<UploadTicket & { error?: { code: string; details?: { documentId: string } } }>(
    uploadUrlHandler,
    {
      method: 'POST',
      path: '/api/documents/upload-url',
      token,
      headers,
      body: { filename: 'scan.txt', contentType: 'text/plain', ...body },
    },
  );
}

/** upload-url → PUT → confirm → one classify delivery: the document as kite then shows it. */
async function storeAndClassify(token: string, bytes: Uint8Array | string, filename = 'scan.txt') {
  const id = await storeConfirmed(token, bytes, filename);
  await classify(id);
  return id;
}

async function storeConfirmed(token: string, bytes: Uint8Array | string, filename = 'scan.txt') {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  const ticket = await uploadUrl(token, { filename, size });
  expect(ticket.status).toBe(201);
  await putBytes(ticket.body, bytes);
  expect((await confirm(token, ticket.body.document.id)).status).toBe(200);
  return ticket.body.document.id;
}

async function classify(...ids: string[]) {
  const result = await classifyHandler(
    sqsEvent(...ids.map((documentId) => sqsRecord({ body: { documentId } }))),
    lambdaContext('kite-test-classify'),
  );
  expect(result).toEqual({ batchItemFailures: [] });
}

async function getDocument(token: string, id: string) {
  const result = await call(documentsHandler, {
    method: 'GET',
    path: `/api/documents/${id}`,
    params: { id },
    token,
  });
  expect(result.status).toBe(200);
  return result.body.document;
}

function listBySha(token: string, sha: string) {
  return call(documentsHandler, { method: 'GET', path: '/api/documents', query: { sha256: sha }, token });
}

const documentCount = async (userId: string) =>
  Number(
    (
      await db()
        .selectFrom('documents')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("kite's own content hash", () => {
  it('is the SHA-256 of the stored bytes, computed by the classify worker, and null before', async () => {
    const { token } = await newUser(OWNER);
    const bytes = randomBytes(300_000);
    const id = await storeConfirmed(token, bytes, 'blob.txt');
    expect(await getDocument(token, id)).toMatchObject({ sha256: null, duplicateOf: null });

    await classify(id);

    expect(await getDocument(token, id)).toMatchObject({ sha256: sha256(bytes), duplicateOf: null });
  });

  it("of an object uploaded in parts is the whole file's SHA-256, not S3's hash of part hashes", async () => {
    const { token } = await newUser(OWNER);
    const file = randomBytes(11 * MiB);
    const { ticket } = await uploadInParts(token, file, { partSize: 5 * MiB, filename: 'parts.txt' });
    expect((await confirm(token, ticket.document.id)).status).toBe(200);

    await classify(ticket.document.id);

    expect(await getDocument(token, ticket.document.id)).toMatchObject({
      sha256: sha256(file),
      sizeBytes: file.length,
    });
    const again = await uploadUrl(token, { size: file.length, sha256: sha256(file) });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'duplicate',
      details: { documentId: ticket.document.id },
    });
  });

  it('a second identical upload shows duplicateOf the first; both are kept', async () => {
    const { token } = await newUser(OWNER);
    const first = await storeAndClassify(token, 'the same invoice, twice');
    const second = await storeAndClassify(token, 'the same invoice, twice', 'copy.txt');

    expect(await getDocument(token, first)).toMatchObject({ duplicateOf: null, status: 'classified' });
    expect(await getDocument(token, second)).toMatchObject({
      duplicateOf: first,
      sha256: sha256('the same invoice, twice'),
      status: 'classified',
    });
    const listed = await call(documentsHandler, { method: 'GET', path: '/api/documents', token });
    const byId = new Map(listed.body.documents.map((d: { id: string }) => [d.id, d]));
    expect(byId.get(second)).toMatchObject({ duplicateOf: first });
    expect(byId.get(first)).toMatchObject({ duplicateOf: null });
  });

  it('of two identical files confirmed and classified at once, exactly one is the original', async () => {
    const { token } = await newUser(OWNER);
    const content = `race ${randomBytes(8).toString('hex')}`;
    const [a, b] = await Promise.all([
      storeConfirmed(token, content, 'a.txt'),
      storeConfirmed(token, content, 'b.txt'),
    ]);
    await Promise.all([classify(a), classify(b)]);

    const docs = await Promise.all([getDocument(token, a), getDocument(token, b)]);
    const originals = docs.filter((doc) => doc.duplicateOf === null);
    expect(originals).toHaveLength(1);
    const copy = docs.find((doc) => doc.duplicateOf !== null);
    expect(copy?.duplicateOf).toBe(originals[0]?.id);
  });

  it('deleting the original for good leaves the copy valid, and the oldest remaining copy becomes the original', async () => {
    const { token } = await newUser(OWNER);
    const first = await storeAndClassify(token, 'kept three times', '1.txt');
    const second = await storeAndClassify(token, 'kept three times', '2.txt');
    const third = await storeAndClassify(token, 'kept three times', '3.txt');
    expect((await getDocument(token, third)).duplicateOf).toBe(first);
    // In the trash it is still stored (and restorable): still the original.
    const trashed = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${first}`,
      params: { id: first },
      token,
    });
    expect(trashed.status).toBe(204);
    expect((await getDocument(token, second)).duplicateOf).toBe(first);

    const removed = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${first}`,
      params: { id: first },
      query: { permanent: 'true' },
      token,
    });
    expect(removed.status).toBe(204);

    expect(await getDocument(token, second)).toMatchObject({ duplicateOf: null, status: 'classified' });
    expect(await getDocument(token, third)).toMatchObject({ duplicateOf: second });
    const download = await call(documentsHandler, {
      method: 'GET',
      path: `/api/documents/${second}`,
      params: { id: second },
      token,
    });
    expect(await (await fetch(download.body.downloadUrl)).text()).toBe('kept three times');
  });

  it("another user's identical file is never a duplicate", async () => {
    const alice = await newUser(OWNER);
    const bob = await newUser(OWNER);
    const content = `shared ${randomBytes(8).toString('hex')}`;
    await storeAndClassify(alice.token, content);
    const bobs = await storeAndClassify(bob.token, content);

    expect(await getDocument(bob.token, bobs)).toMatchObject({ duplicateOf: null, sha256: sha256(content) });
    const listed = await listBySha(bob.token, sha256(content));
    expect(listed.body.documents.map((d: { id: string }) => d.id)).toEqual([bobs]);
    expect((await uploadUrl(bob.token, { size: 5 })).status).toBe(201);
  });
});

describe('checks before upload', () => {
  it('GET /api/documents?sha256= lists the caller’s documents with that content', async () => {
    const { token } = await newUser(OWNER);
    const content = `listed ${randomBytes(8).toString('hex')}`;
    const a = await storeAndClassify(token, content, 'a.txt');
    const b = await storeAndClassify(token, content, 'b.txt');
    await storeAndClassify(token, 'something else');

    const upper = await listBySha(token, sha256(content).toUpperCase());

    expect(upper.status).toBe(200);
    expect(upper.body.documents.map((d: { id: string }) => d.id)).toEqual([b, a]);
    expect((await listBySha(token, sha256('never stored'))).body).toEqual({
      documents: [],
      nextCursor: null,
    });
  });

  it('a malformed sha256 is a 400, in the list and in upload-url', async () => {
    const { userId, token } = await newUser(OWNER);
    for (const bad of ['abc', 'g'.repeat(64), `${'a'.repeat(64)}0`]) {
      const listed = await listBySha(token, bad);
      expect(listed.status).toBe(400);
      expect(listed.body.error.code).toBe('validation_error');
      const asked = await uploadUrl(token, { size: 5, sha256: bad });
      expect(asked.status).toBe(400);
    }
    expect(await documentCount(userId)).toBe(0);
  });

  it('upload-url with the hash of content the caller has → 409 duplicate naming it, and nothing created', async () => {
    const { userId, token } = await newUser(OWNER);
    const content = `twice ${randomBytes(8).toString('hex')}`;
    const original = await storeAndClassify(token, content);
    const before = await documentCount(userId);

    const asked = await uploadUrl(token, { size: Buffer.byteLength(content), sha256: sha256(content) });

    expect(asked.status).toBe(409);
    expect(asked.body.error).toMatchObject({ code: 'duplicate', details: { documentId: original } });
    expect(await documentCount(userId)).toBe(before);
    const fresh = await uploadUrl(token, { size: 4, sha256: sha256('new!') });
    expect(fresh.status).toBe(201);
  });
});

describe('Idempotency-Key on upload-url', () => {
  const key = () => `import-${randomBytes(6).toString('hex')}`;

  it('a retry with the same key and body gets the same document and a fresh URL that works', async () => {
    const { userId, token } = await newUser(OWNER);
    const k = key();
    const first = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });
    // The client never saw that answer (a lost response): it retries.
    const retry = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.document.id).toBe(first.body.document.id);
    expect(retry.body.upload.url).toContain('X-Amz-Signature');
    // Signed for the first request's object, not for the key the retry would have made.
    expect(new URL(retry.body.upload.url).pathname).toBe(new URL(first.body.upload.url).pathname);
    expect(await documentCount(userId)).toBe(1);
    await putBytes(retry.body, 'hello');
    const confirmed = await confirm(token, retry.body.document.id);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.document.sizeBytes).toBe(5);
  });

  it('the same key with another body → 409 conflict, nothing created', async () => {
    const { userId, token } = await newUser(OWNER);
    const k = key();
    expect((await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k })).status).toBe(201);

    const other = await uploadUrl(token, { size: 6 }, { 'Idempotency-Key': k });

    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('conflict');
    expect(await documentCount(userId)).toBe(1);
  });

  it('keys are per user', async () => {
    const alice = await newUser(OWNER);
    const bob = await newUser(OWNER);
    const k = key();
    const a = await uploadUrl(alice.token, { size: 5 }, { 'Idempotency-Key': k });
    const b = await uploadUrl(bob.token, { size: 5 }, { 'Idempotency-Key': k });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.document.id).not.toBe(a.body.document.id);
  });

  it('20 concurrent requests with one key create one document', async () => {
    const { userId, token } = await newUser(OWNER);
    const k = key();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(new Set(answers.map((a) => a.body.document.id)).size).toBe(1);
    expect(new Set(answers.map((a) => new URL(a.body.upload.url).pathname)).size).toBe(1);
    expect(await documentCount(userId)).toBe(1);
  });

  it('once the document is confirmed, a retry cannot get a URL to overwrite it: 409', async () => {
    const { token } = await newUser(OWNER);
    const k = key();
    const first = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });
    await putBytes(first.body, 'hello');
    expect((await confirm(token, first.body.document.id)).status).toBe(200);

    const retry = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });

    expect(retry.status).toBe(409);
    expect(retry.body.error?.code).toBe('conflict');
  });

  it('a key whose document was deleted, or that is older than 24 hours, starts afresh', async () => {
    const { userId, token } = await newUser(OWNER);
    const k = key();
    const first = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });
    const id = first.body.document.id;
    await call(documentsHandler, { method: 'DELETE', path: `/api/documents/${id}`, params: { id }, token });
    const afterDelete = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': k });
    expect(afterDelete.status).toBe(201);
    expect(afterDelete.body.document.id).not.toBe(id);

    await sql`update idempotency_keys set created_at = now() - interval '25 hours' where user_id = ${userId}`.execute(
      db(),
    );
    const afterExpiry = await uploadUrl(token, { size: 6 }, { 'Idempotency-Key': k });
    expect(afterExpiry.status).toBe(201);
    expect(afterExpiry.body.document.id).not.toBe(afterDelete.body.document.id);
  });

  it('the purge deletes keys older than 24 hours and leaves younger ones', async () => {
    const { userId, token } = await newUser(OWNER);
    const [oldKey, youngKey] = [key(), key()];
    await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': oldKey });
    await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': youngKey });
    await sql`
      update idempotency_keys set created_at = now() - interval '25 hours' where user_id = ${userId} and key = ${oldKey}
    `.execute(db());

    expect(await purgeExpiredIdempotencyKeys()).toBeGreaterThanOrEqual(1);

    const left = await db()
      .selectFrom('idempotency_keys')
      .select('key')
      .where('user_id', '=', userId)
      .execute();
    expect(left.map((row) => row.key)).toEqual([youngKey]);
  });

  it('a malformed key is a 400 and creates nothing', async () => {
    const { userId, token } = await newUser(OWNER);
    for (const bad of ['has space', 'x'.repeat(256), 'tab\there', 'ünïcode']) {
      const answer = await uploadUrl(token, { size: 5 }, { 'Idempotency-Key': bad });
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('validation_error');
    }
    expect(await documentCount(userId)).toBe(0);
  });
});
