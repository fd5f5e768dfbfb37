// A specification over 300 lines on purpose: multipart uploads from start through resume, abort and the purge; each case sets up its own data.
import { randomBytes } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { presignUploadParts } from '../../lib/platform/aws/multipart.js';
import { createS3Client, headObjectSize } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { ensureUser } from '../../lib/users/users.queries.js';
import { call } from '../helpers/api.js';
import {
  completeXml,
  createMultipartUpload,
  listedParts,
  MiB,
  putPart,
  send,
  sign,
  signOk,
  slice,
  startMultipart,
  startMultipartOk,
  uploadInParts,
} from '../helpers/multipart.js';
import { confirm } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// Large enough for files of several 5 MiB parts, and for upload-url's 5 GiB limit to be the one that bites.
await vi.hoisted(async () =>
  (await import('../helpers/env.js')).configure({
    MAX_UPLOAD_BYTES: String(8 * 1024 ** 3),
    DEFAULT_QUOTA_BYTES: String(64 * 1024 ** 2),
  }),
);

afterAll(closeDb);

const GiB = 1024 * MiB;
const strict = inject('testS3') === 'radosgw';

async function documentRow(id: string) {
  return db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function usedBytes(userId: string) {
  const quota = await db()
    .selectFrom('quotas')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return quota.used_bytes;
}

async function setLimit(userId: string, limitBytes: number) {
  await db().updateTable('quotas').set({ limit_bytes: limitBytes }).where('user_id', '=', userId).execute();
}

describe('POST /api/documents/multipart', () => {
  it('answers the key, the part size and count, and a presigned CreateMultipartUpload on the key', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const result = await startMultipart(token, { filename: 'scans/big scan.txt', size: 40 * MiB });
    expect(result.status).toBe(201);
    const { document, upload } = result.body;
    expect(document.status).toBe('pending');
    expect(upload.key).toBe(`users/${userId}/${document.id}/big_scan.txt`);
    expect(upload.key.split('/')[2]).toBe(document.id);
    // MULTIPART_PART_BYTES (16 MiB) by default: 16 + 16 + 8.
    expect(upload.partSize).toBe(16 * MiB);
    expect(upload.partCount).toBe(3);
    expect(upload.create).toMatchObject({ method: 'POST', headers: { 'Content-Type': 'text/plain' } });
    expect(new URL(upload.create.url).pathname).toContain(`/${document.id}/big_scan.txt`);
    expect(Date.parse(upload.create.expiresAt)).toBeGreaterThan(Date.now());
    const row = await documentRow(document.id);
    expect(row).toMatchObject({ declared_bytes: 40 * MiB, part_bytes: 16 * MiB, upload_id: null });
  });

  it("uses the client's partSize exactly, or refuses it with 400 and creates nothing", async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const exact = await startMultipartOk(token, { size: 12 * MiB, partSize: 5 * MiB + 1 });
    expect(exact.upload).toMatchObject({ partSize: 5 * MiB + 1, partCount: 3 });
    for (const partSize of [5 * MiB - 1, 5 * GiB + 1, 1.5 * MiB]) {
      const refused = await startMultipart(token, { size: 12 * MiB, partSize });
      expect(refused.status, String(partSize)).toBe(400);
      expect(refused.body.error.code).toBe('validation_error');
    }
    const rows = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(rows.map((r) => r.id)).toEqual([exact.document.id]);
  });

  it('early-rejects what upload-url rejects: type (415), size (413), quota (413), an empty file (400)', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const type = await startMultipart(token, { size: 10 * MiB, contentType: 'application/x-msdownload' });
    expect([type.status, type.body.error.code]).toEqual([415, 'unsupported_media_type']);
    const size = await startMultipart(token, { size: 8 * GiB + 1 });
    expect([size.status, size.body.error.code]).toEqual([413, 'file_too_large']);
    const quota = await startMultipart(token, { size: 64 * MiB + 1 });
    expect([quota.status, quota.body.error.code]).toEqual([413, 'quota_exceeded']);
    const empty = await startMultipart(token, { size: 0 });
    expect(empty.status).toBe(400);
    const rows = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(rows).toEqual([]);
  });
});

describe('multipart, duplicates and retried requests', () => {
  it('with the hash of content the caller already has → 409 duplicate naming it, and nothing created', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const { ticket } = await uploadInParts(token, randomBytes(6 * MiB), { partSize: 5 * MiB });
    expect((await confirm(token, ticket.document.id)).status).toBe(200);
    const hash = 'ab'.repeat(32);
    // As the classify worker records it once it has hashed the stored bytes.
    await db().updateTable('documents').set({ sha256: hash }).where('id', '=', ticket.document.id).execute();
    const again = await startMultipart(token, { size: 6 * MiB, sha256: hash.toUpperCase() });
    expect([again.status, again.body.error.code, again.body.error.details]).toEqual([
      409,
      'duplicate',
      { documentId: ticket.document.id },
    ]);
    const rows = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(rows.map((r) => r.id)).toEqual([ticket.document.id]);
  });

  it('a retry with the same Idempotency-Key and body gets the same document and a fresh create URL', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const headers = { 'idempotency-key': `mp-${userId}` };
    const first = await startMultipart(token, { size: 12 * MiB, partSize: 5 * MiB }, headers);
    const retry = await startMultipart(token, { size: 12 * MiB, partSize: 5 * MiB }, headers);
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.document.id).toBe(first.body.document.id);
    expect(retry.body.upload).toMatchObject({ key: first.body.upload.key, partSize: 5 * MiB, partCount: 3 });
    expect(await createMultipartUpload(retry.body)).toBeTruthy();
    const other = await startMultipart(token, { size: 12 * MiB }, headers);
    expect([other.status, other.body.error.code]).toEqual([409, 'conflict']);
    const rows = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('POST /api/documents/upload-url and large files', () => {
  it('answers upload.key, whose third segment is the document id', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const result = await call(uploadUrlHandler, {
      method: 'POST',
      path: '/api/documents/upload-url',
      token,
      body: { filename: 'a.txt', contentType: 'text/plain', size: 3 },
    });
    expect(result.status).toBe(201);
    expect(result.body.upload.key).toBe(`users/${userId}/${result.body.document.id}/a.txt`);
  });

  it('refuses more than 5 GiB with 413 file_too_large pointing to multipart', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const result = await call(uploadUrlHandler, {
      method: 'POST',
      path: '/api/documents/upload-url',
      token,
      body: { filename: 'huge.txt', contentType: 'text/plain', size: 5 * GiB + 1 },
    });
    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('file_too_large');
    expect(result.body.error.message).toContain('POST /api/documents/multipart');
  });
});

describe('POST /api/documents/{id}/multipart/sign', () => {
  it('signs 1 to 1000 part numbers within 1…partCount, each for its exact length', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 12 * MiB + 7, partSize: 5 * MiB });
    const id = ticket.document.id;
    const requests = await signOk(token, id, {
      uploadId: 'u-1',
      operation: 'uploadPart',
      partNumbers: [3, 1, 2],
    });
    expect(requests.map((r) => [r.partNumber, r.method, r.headers['Content-Length']])).toEqual([
      [3, 'PUT', String(2 * MiB + 7)],
      [1, 'PUT', String(5 * MiB)],
      [2, 'PUT', String(5 * MiB)],
    ]);
    for (const request of requests) {
      const url = new URL(request.url);
      expect(url.searchParams.get('partNumber')).toBe(String(request.partNumber));
      expect(url.searchParams.get('uploadId')).toBe('u-1');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    }
    for (const partNumbers of [[0], [4], [], Array.from({ length: 1001 }, (_, i) => (i % 3) + 1), [1.5]]) {
      const refused = await sign(token, id, { uploadId: 'u-1', operation: 'uploadPart', partNumbers });
      expect(refused.status, JSON.stringify(partNumbers).slice(0, 20)).toBe(400);
      expect(refused.body.error.code).toBe('validation_error');
    }
    expect((await sign(token, id, { uploadId: 'u-1', operation: 'uploadPart' })).status).toBe(400);
    expect((await sign(token, id, { uploadId: 'u-1', operation: 'complete', partNumbers: [1] })).status).toBe(
      400,
    );
    expect((await sign(token, id, { uploadId: 'u-1', operation: 'resume' })).status).toBe(400);
    expect((await sign(token, id, { uploadId: 'u-1', operation: 'abort', partNumberMarker: 1 })).status).toBe(
      400,
    );
  });

  it('signs 1000 parts in one call', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    await ensureUser(db(), { id: userId, email: null, role: 'user' }, 8 * GiB);
    const ticket = await startMultipartOk(token, { size: 5 * GiB, partSize: 5 * MiB });
    expect(ticket.upload.partCount).toBe(1024);
    const numbers = Array.from({ length: 1000 }, (_, i) => i + 25);
    const requests = await signOk(token, ticket.document.id, {
      uploadId: 'u-1000',
      operation: 'uploadPart',
      partNumbers: numbers,
    });
    expect(requests.map((r) => r.partNumber)).toEqual(numbers);
    expect(new Set(requests.map((r) => r.url)).size).toBe(1000);
    expect(requests.at(-1)?.headers['Content-Length']).toBe(String(5 * MiB));
  });

  it('signs every part exactly as the AWS SDK signs that part on its own', async () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const parts = [7, 1, 1000].map((partNumber) => ({ partNumber, length: partNumber * 3 }));
    const key = 'users/u ü/0b0c/na me+1.txt';
    const ours = await presignUploadParts(key, 'up/id=1', parts, at);
    const client = await createS3Client(config());
    for (const [i, { partNumber, length }] of parts.entries()) {
      const sdk = await getSignedUrl(
        client,
        new UploadPartCommand({
          Bucket: config().S3_BUCKET,
          Key: key,
          UploadId: 'up/id=1',
          PartNumber: partNumber,
          ContentLength: length,
        }),
        {
          expiresIn: config().UPLOAD_URL_TTL_SECONDS,
          signableHeaders: new Set(['content-length']),
          signingDate: at,
        },
      );
      const [a, b] = [new URL(ours[i]?.url ?? ''), new URL(sdk)];
      expect(a.origin + a.pathname).toBe(b.origin + b.pathname);
      expect(Object.fromEntries(a.searchParams)).toEqual(Object.fromEntries(b.searchParams));
    }
    client.destroy();
  });

  it('binds the first uploadId to the document; another one is a 409 conflict', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 6 * MiB });
    const id = ticket.document.id;
    await signOk(token, id, { uploadId: 'first', operation: 'listParts' });
    expect((await documentRow(id)).upload_id).toBe('first');
    const other = await sign(token, id, { uploadId: 'second', operation: 'uploadPart', partNumbers: [1] });
    expect([other.status, other.body.error.code]).toEqual([409, 'conflict']);
    expect((await documentRow(id)).upload_id).toBe('first');
    expect((await sign(token, id, { uploadId: 'first', operation: 'abort' })).status).toBe(200);
  });

  it('does not bind an upload id or count activity for a refused request', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 6 * MiB });
    const before = await documentRow(ticket.document.id);
    const refused = await sign(token, ticket.document.id, {
      uploadId: 'x',
      operation: 'uploadPart',
      partNumbers: [9],
    });
    expect(refused.status).toBe(400);
    const after = await documentRow(ticket.document.id);
    expect(after.upload_id).toBeNull();
    expect(after.last_activity_at).toEqual(before.last_activity_at);
  });

  it('counts every signing as activity', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 6 * MiB });
    const id = ticket.document.id;
    await db()
      .updateTable('documents')
      .set({ last_activity_at: new Date(Date.now() - 3600_000) })
      .where('id', '=', id)
      .execute();
    await signOk(token, id, { uploadId: 'u', operation: 'listParts' });
    expect((await documentRow(id)).last_activity_at?.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("signs only for the caller's own pending multipart document", async () => {
    const owner = await newUser({ label: 'multipart' });
    const stranger = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(owner.token, { size: 6 * MiB });
    const body = { uploadId: 'u', operation: 'listParts' };
    const theirs = await sign(stranger.token, ticket.document.id, body);
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'not_found']);
    expect((await documentRow(ticket.document.id)).upload_id).toBeNull();
    expect((await sign(owner.token, '00000000-0000-4000-8000-000000000000', body)).status).toBe(404);
    expect((await sign(owner.token, 'not-a-uuid', body)).status).toBe(404);

    const single = await call(uploadUrlHandler, {
      method: 'POST',
      path: '/api/documents/upload-url',
      token: owner.token,
      body: { filename: 'a.txt', contentType: 'text/plain', size: 3 },
    });
    const notMultipart = await sign(owner.token, single.body.document.id, body);
    expect([notMultipart.status, notMultipart.body.error.code]).toEqual([409, 'conflict']);
  });
});

describe('multipart uploads against S3', () => {
  it('uploads in parts, then the ordinary confirm counts the real size once', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const file = randomBytes(11 * MiB + 5);
    const { ticket, uploadId } = await uploadInParts(token, file, { partSize: 5 * MiB });
    expect(ticket.upload.partCount).toBe(3);
    const confirmed = await confirm(token, ticket.document.id);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.document).toMatchObject({ status: 'uploaded', sizeBytes: file.length });
    expect(await usedBytes(userId)).toBe(file.length);
    // A confirmed document is signed for no more.
    const after = await sign(token, ticket.document.id, { uploadId, operation: 'listParts' });
    expect([after.status, after.body.error.code]).toEqual([409, 'conflict']);
  });

  // Only an S3 that checks signatures can refuse it (docs/development.md "Which S3 the tests use"): skipped on s3rver.
  it.runIf(strict)('refuses a part larger than was signed', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 6 * MiB, partSize: 5 * MiB });
    const uploadId = await createMultipartUpload(ticket);
    const [last] = await signOk(token, ticket.document.id, {
      uploadId,
      operation: 'uploadPart',
      partNumbers: [2],
    });
    if (!last) throw new Error('no part request');
    expect(last.headers['Content-Length']).toBe(String(MiB));
    const response = await send(last, randomBytes(MiB + 1));
    expect(response.status).toBe(403);
    const [list] = await signOk(token, ticket.document.id, { uploadId, operation: 'listParts' });
    if (!list) throw new Error('no list request');
    expect(await listedParts(list)).toEqual([]);
  });

  it('a complete naming a missing part is refused by S3, and confirm then says upload_missing', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const file = randomBytes(11 * MiB);
    const ticket = await startMultipartOk(token, { size: file.length, partSize: 5 * MiB });
    const uploadId = await createMultipartUpload(ticket);
    const id = ticket.document.id;
    const requests = await signOk(token, id, { uploadId, operation: 'uploadPart', partNumbers: [1, 2] });
    const parts = await Promise.all(
      requests.map(async (r) => ({
        partNumber: r.partNumber ?? 0,
        etag: await putPart(r, slice(file, 5 * MiB, r.partNumber ?? 0)),
      })),
    );
    const [complete] = await signOk(token, id, { uploadId, operation: 'complete' });
    if (!complete) throw new Error('no complete request');
    const refused = await send(
      complete,
      completeXml([...parts, { partNumber: 3, etag: '"0123456789abcdef"' }]),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('InvalidPart');
    const confirmed = await confirm(token, id);
    expect([confirmed.status, confirmed.body.error.code]).toEqual([409, 'upload_missing']);
    expect((await documentRow(id)).status).toBe('pending');
  });

  it('resumes: ListParts names the parts S3 holds, so only the rest is sent', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const file = randomBytes(16 * MiB);
    const ticket = await startMultipartOk(token, { size: file.length, partSize: 5 * MiB });
    const uploadId = await createMultipartUpload(ticket);
    const id = ticket.document.id;
    const sent = new Map<number, string>();
    for (const r of await signOk(token, id, { uploadId, operation: 'uploadPart', partNumbers: [1, 3] })) {
      sent.set(r.partNumber ?? 0, await putPart(r, slice(file, 5 * MiB, r.partNumber ?? 0)));
    }
    // The client crashed; after the restart it only knows the key and the upload id.
    const [list] = await signOk(token, id, { uploadId, operation: 'listParts' });
    if (!list) throw new Error('no list request');
    const held = await listedParts(list);
    expect(held).toEqual([1, 3]);
    const [after1] = await signOk(token, id, { uploadId, operation: 'listParts', partNumberMarker: 1 });
    expect(await listedParts(after1 ?? list)).toEqual([3]);
    const missing = [1, 2, 3, 4].filter((n) => !held.includes(n));
    for (const r of await signOk(token, id, { uploadId, operation: 'uploadPart', partNumbers: missing })) {
      sent.set(r.partNumber ?? 0, await putPart(r, slice(file, 5 * MiB, r.partNumber ?? 0)));
    }
    const [complete] = await signOk(token, id, { uploadId, operation: 'complete' });
    if (!complete) throw new Error('no complete request');
    const parts = [...sent.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, etag]) => ({ partNumber, etag }));
    expect((await send(complete, completeXml(parts))).ok).toBe(true);
    const confirmed = await confirm(token, id);
    expect(confirmed.body.document.sizeBytes).toBe(file.length);
  });

  it('an abort leaves no upload behind', async () => {
    const { token } = await newUser({ label: 'multipart' });
    const ticket = await startMultipartOk(token, { size: 6 * MiB, partSize: 5 * MiB });
    const uploadId = await createMultipartUpload(ticket);
    const id = ticket.document.id;
    const [part] = await signOk(token, id, { uploadId, operation: 'uploadPart', partNumbers: [1] });
    if (!part) throw new Error('no part request');
    await putPart(part, randomBytes(5 * MiB));
    const [abort] = await signOk(token, id, { uploadId, operation: 'abort' });
    if (!abort) throw new Error('no abort request');
    expect(abort.method).toBe('DELETE');
    expect((await send(abort)).status).toBe(204);
    const [list] = await signOk(token, id, { uploadId, operation: 'listParts' });
    if (!list) throw new Error('no list request');
    expect((await send(list)).status).toBe(404);
    // Kite is not told: the document stays pending until the purge.
    expect((await documentRow(id)).status).toBe('pending');
  });

  it('quota exceeded at confirm leaves the document pending and the object in place; confirm works once there is room', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const file = randomBytes(6 * MiB);
    const { ticket } = await uploadInParts(token, file, { partSize: 5 * MiB });
    await setLimit(userId, 5 * MiB);
    const refused = await confirm(token, ticket.document.id);
    expect([refused.status, refused.body.error.code]).toEqual([413, 'quota_exceeded']);
    expect((await documentRow(ticket.document.id)).status).toBe('pending');
    expect(await headObjectSize(ticket.upload.key)).toBe(file.length);
    expect(await usedBytes(userId)).toBe(0);
    await setLimit(userId, 64 * MiB);
    const confirmed = await confirm(token, ticket.document.id);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.quota.usedBytes).toBe(file.length);
  });

  it('two concurrent confirms count the bytes once', async () => {
    const { userId, token } = await newUser({ label: 'multipart' });
    const file = randomBytes(6 * MiB);
    const { ticket } = await uploadInParts(token, file, { partSize: 5 * MiB });
    const results = await Promise.all([
      confirm(token, ticket.document.id),
      confirm(token, ticket.document.id),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results.map((r) => r.body.document.sizeBytes)).toEqual([file.length, file.length]);
    expect(await usedBytes(userId)).toBe(file.length);
  });
});
