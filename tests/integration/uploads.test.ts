// A specification over 300 lines on purpose: upload-url and confirm, quota included; each case sets up its own data.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as meHandler } from '../../functions/me.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { headObjectSize } from '../../lib/platform/aws/storage.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { call } from '../helpers/api.js';
import { awaitClassifyMessage } from '../helpers/queue.js';
import { confirm, putBytes, putObjectDirectly, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);

async function setQuota(userId: string, limitBytes: number) {
  await db().updateTable('quotas').set({ limit_bytes: limitBytes }).where('user_id', '=', userId).execute();
}

async function quotaOf(userId: string) {
  return db().selectFrom('quotas').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
}

async function documentsOf(userId: string) {
  return db().selectFrom('documents').selectAll().where('user_id', '=', userId).execute();
}

describe('upload-url → PUT → confirm', () => {
  it('stores the bytes, counts them against the quota and queues classification', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, {
      filename: 'report.txt',
      contentType: 'text/plain',
      size: 11,
    });

    expect(ticket.document).toMatchObject({
      filename: 'report.txt',
      contentType: 'text/plain',
      sizeBytes: null,
      status: 'pending',
      topics: [],
      confirmedAt: null,
    });
    expect(ticket.upload.method).toBe('PUT');
    expect(ticket.upload.headers).toEqual({ 'Content-Type': 'text/plain', 'Content-Length': '11' });
    expect(new Date(ticket.upload.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const signed = new URL(ticket.upload.url).searchParams.get('X-Amz-SignedHeaders') ?? '';
    expect(signed.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));

    await putBytes(ticket, 'hello kite!');
    const confirmed = await confirm(token, ticket.document.id);

    expect(confirmed.status).toBe(200);
    expect(confirmed.body.document).toMatchObject({
      id: ticket.document.id,
      status: 'uploaded',
      sizeBytes: 11,
    });
    expect(confirmed.body.document.confirmedAt).not.toBeNull();
    expect(confirmed.body.quota).toEqual({ usedBytes: 11, limitBytes: 10 * 1024 * 1024 });
    expect((await quotaOf(userId)).used_bytes).toBe(11);
    const [row] = await documentsOf(userId);
    expect(row?.storage_key).toBe(`users/${userId}/${ticket.document.id}/report.txt`);
    // The extract stage comes first (OCR, thumbnail), then it queues classification.
    expect(await awaitClassifyMessage(ticket.document.id, 'extract')).toEqual({
      documentId: ticket.document.id,
    });
  });

  it('counts the size read from S3, not the size the client claimed', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 10 });
    // Not through the URL, which only takes 10 bytes: whatever lands under the key is what counts.
    await putObjectDirectly(ticket.document.id, randomBytes(5000));

    const confirmed = await confirm(token, ticket.document.id);

    expect(confirmed.status).toBe(200);
    expect(confirmed.body.document.sizeBytes).toBe(5000);
    expect((await quotaOf(userId)).used_bytes).toBe(5000);
  });

  it('a second confirm returns the current state and does not count the bytes twice', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 4 });
    await putBytes(ticket, 'abcd');

    const first = await confirm(token, ticket.document.id);
    const second = await confirm(token, ticket.document.id);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.document).toMatchObject({ id: ticket.document.id, status: 'uploaded', sizeBytes: 4 });
    expect(second.body.quota.usedBytes).toBe(4);
    expect((await quotaOf(userId)).used_bytes).toBe(4);
  });

  it('50 concurrent confirms of different documents never exceed the quota', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const size = 1000;
    const tickets = await Promise.all(Array.from({ length: 50 }, () => requestUpload(token, { size })));
    await Promise.all(tickets.map((ticket) => putBytes(ticket, randomBytes(size))));
    await setQuota(userId, 20 * size + 500);

    const results = await Promise.all(tickets.map((ticket) => confirm(token, ticket.document.id)));

    const accepted = results.filter((r) => r.status === 200);
    const rejected = results.filter((r) => r.status === 413);
    expect(accepted).toHaveLength(20);
    expect(rejected).toHaveLength(30);
    for (const r of rejected) expect(r.body.error.code).toBe('quota_exceeded');
    expect((await quotaOf(userId)).used_bytes).toBe(20 * size);
    const rows = await documentsOf(userId);
    expect(rows.filter((d) => d.status === 'uploaded')).toHaveLength(20);
    expect(rows.filter((d) => d.status === 'pending')).toHaveLength(30);
  });

  it('20 concurrent confirms of the same document count it once', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 777 });
    await putBytes(ticket, randomBytes(777));

    const results = await Promise.all(Array.from({ length: 20 }, () => confirm(token, ticket.document.id)));

    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.document.status).toBe('uploaded');
    }
    expect((await quotaOf(userId)).used_bytes).toBe(777);
  });

  it('confirm before the PUT is 409 upload_missing and changes nothing', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 3 });

    const result = await confirm(token, ticket.document.id);

    expect(result.status).toBe(409);
    expect(result.body).toEqual({
      error: { code: 'upload_missing', message: expect.any(String), requestId: expect.any(String) },
    });
    expect((await documentsOf(userId))[0]?.status).toBe('pending');
    expect((await quotaOf(userId)).used_bytes).toBe(0);
  });

  it("another user's document is not found, and stays untouched", async () => {
    const owner = await newUser({ email: 'uploader@example.test' });
    const other = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(owner.token, { size: 3 });
    await putBytes(ticket, 'abc');

    const result = await confirm(other.token, ticket.document.id);

    expect(result.status).toBe(404);
    expect(result.body.error.code).toBe('not_found');
    expect((await documentsOf(owner.userId))[0]?.status).toBe('pending');
    expect((await quotaOf(owner.userId)).used_bytes).toBe(0);
  });

  it('an unknown or malformed document id is not found', async () => {
    const { token } = await newUser({ email: 'uploader@example.test' });
    expect((await confirm(token, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await confirm(token, 'not-a-uuid')).status).toBe(404);
    expect((await confirm(token, "1' or '1'='1")).status).toBe(404);
  });

  it('a confirm that does not fit the quota is 413 quota_exceeded and the document stays pending', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 100 });
    await putBytes(ticket, randomBytes(100));
    await setQuota(userId, 99);

    const result = await confirm(token, ticket.document.id);

    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('quota_exceeded');
    expect((await documentsOf(userId))[0]?.status).toBe('pending');
    expect((await quotaOf(userId)).used_bytes).toBe(0);
  });

  it('an object larger than MAX_UPLOAD_BYTES is deleted at confirm and nothing is counted', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { size: 10 });
    await putObjectDirectly(ticket.document.id, randomBytes(1024 * 1024 + 1));
    const [row] = await documentsOf(userId);

    const result = await confirm(token, ticket.document.id);

    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('file_too_large');
    expect(await headObjectSize(row?.storage_key ?? '')).toBeUndefined();
    expect((await documentsOf(userId))[0]?.status).toBe('pending');
    expect((await quotaOf(userId)).used_bytes).toBe(0);
  });

  it('a filename cannot climb out of its storage prefix', async () => {
    const { userId, token } = await newUser({ email: 'uploader@example.test' });
    for (const filename of ['../../x', '..\\..\\etc\\passwd', '/absolute/../../y', '....', '%2e%2e%2fz']) {
      const ticket = await requestUpload(token, { filename, size: 1 });
      const row = await db()
        .selectFrom('documents')
        .selectAll()
        .where('id', '=', ticket.document.id)
        .executeTakeFirst();
      const prefix = `users/${userId}/${ticket.document.id}/`;
      expect(row?.storage_key.startsWith(prefix)).toBe(true);
      const name = row?.storage_key.slice(prefix.length) ?? '';
      expect(name).not.toContain('/');
      expect(name.startsWith('.')).toBe(false);
      expect(row?.filename).toBe(filename);
      expect(new URL(ticket.upload.url).pathname.startsWith(`/kite-test-documents/users/`)).toBe(true);
    }
  });
});

describe('upload-url rejects bad input with the contract error body and writes nothing', () => {
  const cases: { name: string; body?: unknown; rawBody?: string; status: number; code: string }[] = [
    { name: 'malformed JSON', rawBody: '{"filename": "a.txt",', status: 400, code: 'validation_error' },
    { name: 'an empty body', rawBody: '', status: 400, code: 'validation_error' },
    { name: 'a JSON array', body: [], status: 400, code: 'validation_error' },
    {
      name: 'a missing filename',
      body: { contentType: 'text/plain', size: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a missing size',
      body: { filename: 'a.txt', contentType: 'text/plain' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'an extra field',
      body: { filename: 'a.txt', contentType: 'text/plain', size: 1, userId: 'someone-else' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a string size',
      body: { filename: 'a.txt', contentType: 'text/plain', size: '1' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a fractional size',
      body: { filename: 'a.txt', contentType: 'text/plain', size: 1.5 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a negative size',
      body: { filename: 'a.txt', contentType: 'text/plain', size: -1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'an absurd size',
      body: { filename: 'a.txt', contentType: 'text/plain', size: 1e300 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a numeric filename',
      body: { filename: 42, contentType: 'text/plain', size: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'an empty filename',
      body: { filename: '   ', contentType: 'text/plain', size: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'a 256-character filename',
      body: { filename: 'a'.repeat(256), contentType: 'text/plain', size: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'control characters in the filename',
      body: { filename: 'a\u0000b\n.txt', contentType: 'text/plain', size: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'an unsupported type',
      body: { filename: 'a.exe', contentType: 'application/x-msdownload', size: 1 },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a size over MAX_UPLOAD_BYTES',
      body: { filename: 'a.txt', contentType: 'text/plain', size: 1024 * 1024 + 1 },
      status: 413,
      code: 'file_too_large',
    },
    {
      name: 'a size over the remaining quota',
      body: { filename: 'a.txt', contentType: 'text/plain', size: 1024 * 1024 },
      status: 413,
      code: 'quota_exceeded',
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const { userId, token } = await newUser({ email: 'uploader@example.test' });
      await call(meHandler, { token });
      await setQuota(userId, 1000);

      const result = await call(uploadUrlHandler, {
        method: 'POST',
        path: '/api/documents/upload-url',
        token,
        ...(c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody }),
      });

      expect(result.status).toBe(c.status);
      expect(result.body.error.code).toBe(c.code);
      expect(typeof result.body.error.message).toBe('string');
      if (c.code === 'validation_error' && c.body !== undefined && !Array.isArray(c.body)) {
        expect(result.body.error.details.length).toBeGreaterThan(0);
      }
      expect(await documentsOf(userId)).toHaveLength(0);
      expect((await quotaOf(userId)).used_bytes).toBe(0);
    });
  }

  it('accepts a content type in any case and stores it lower-cased', async () => {
    const { token } = await newUser({ email: 'uploader@example.test' });
    const ticket = await requestUpload(token, { filename: 'a.pdf', contentType: 'Application/PDF', size: 1 });
    expect(ticket.document).toMatchObject({ contentType: 'application/pdf' });
  });
});

describe('GET /api/me', () => {
  it('creates the user and its quota on the first request, once', async () => {
    const { userId, token } = await newUser({ email: 'me@example.test' });

    const [first, second] = await Promise.all([call(meHandler, { token }), call(meHandler, { token })]);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toEqual({
      id: userId,
      email: 'me@example.test',
      role: 'user',
      aiProvider: null,
      aiModel: null,
      effectiveAiProvider: 'ollama',
      quota: { usedBytes: 0, limitBytes: 10 * 1024 * 1024 },
    });
    const count = await sql<{
      n: number;
    }>`select count(*)::int as n from quotas where user_id = ${userId}`.execute(db());
    expect(count.rows[0]?.n).toBe(1);
  });

  it('reports the admin role from the token', async () => {
    const { token } = await newUser({ admin: true });
    const result = await call(meHandler, { token });
    expect(result.body.role).toBe('admin');
  });
});
