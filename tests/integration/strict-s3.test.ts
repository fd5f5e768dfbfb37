// A specification over 300 lines on purpose: what a signature-checking S3 refuses, case by case; each case sets up its own data.
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { handler as documentsHandler } from '../../functions/documents.js';
import { createS3Client, headObjectSize } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { db } from '../../lib/platform/db/client.js';
import { runPurge, sweepTombstones } from '../../lib/purge/purge.js';
import { call } from '../helpers/api.js';
import { confirm, putBytes, putObjectDirectly, requestUpload, uploadDocument } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

/*
 * What only an S3 that checks signatures proves (docs/development.md "Which S3 the tests use"): these run on radosgw, and are
 * reported as skipped on s3rver, which accepts any signature and any length.
 */

// The purge works on whole tables and the bucket policy on a whole bucket: both are this file's own.
await vi.hoisted(async () => (await import('../helpers/own-database.js')).useOwnDatabase('kite_strict_s3'));
await vi.hoisted(async () => (await import('../helpers/own-bucket.js')).useOwnBucket('kite-strict-s3'));

const strict = inject('testS3') === 'radosgw';
const allowedOrigin = inject('testEnv').ALLOWED_ORIGINS ?? '';

async function rowOf(documentId: string) {
  return db().selectFrom('documents').selectAll().where('id', '=', documentId).executeTakeFirst();
}

async function usedBytes(userId: string): Promise<number> {
  const quota = await db().selectFrom('quotas').selectAll().where('user_id', '=', userId).executeTakeFirst();
  return quota?.used_bytes ?? 0;
}

const getDocument = (token: string, id: string) =>
  call(documentsHandler, { method: 'GET', path: `/api/documents/${id}`, token });
const deleteDocument = (token: string, id: string) =>
  call(documentsHandler, { method: 'DELETE', path: `/api/documents/${id}`, token });

/** S3's answer to a raw PUT against a presigned URL. */
async function put(url: string, body: string, contentType: string) {
  const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': contentType }, body });
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1] };
}

/** Makes S3 refuse DeleteObject under these keys (a per-key AccessDenied in DeleteObjects), as a policy on AWS can. */
async function denyDeletes(keys: readonly string[]): Promise<void> {
  const s3 = await createS3Client(config());
  try {
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: config().S3_BUCKET,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:DeleteObject',
              Resource: keys.map((key) => `arn:aws:s3:::${config().S3_BUCKET}/${key}`),
            },
          ],
        }),
      }),
    );
  } finally {
    s3.destroy();
  }
}

async function allowDeletes(): Promise<void> {
  const s3 = await createS3Client(config());
  try {
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: config().S3_BUCKET }));
  } finally {
    s3.destroy();
  }
}

describe.runIf(strict)('a presigned PUT only stores what upload-url signed', () => {
  it('more bytes than were signed → refused by S3, confirm → 409 upload_missing, nothing counted', async () => {
    const { userId, token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 5 });

    const answer = await put(ticket.upload.url, 'far more than five bytes', 'text/plain');
    const confirmed = await confirm(token, ticket.document.id);

    expect(answer).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(confirmed.status).toBe(409);
    expect(confirmed.body.error.code).toBe('upload_missing');
    expect((await rowOf(ticket.document.id))?.status).toBe('pending');
    expect(await usedBytes(userId)).toBe(0);
  });

  it('fewer bytes than were signed → refused', async () => {
    const { token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 50 });

    expect(await put(ticket.upload.url, 'short', 'text/plain')).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect((await confirm(token, ticket.document.id)).body.error.code).toBe('upload_missing');
  });

  it('another Content-Type than was signed → refused', async () => {
    const { token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 5, contentType: 'text/plain' });

    expect(await put(ticket.upload.url, 'hello', 'application/pdf')).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect((await confirm(token, ticket.document.id)).body.error.code).toBe('upload_missing');
  });

  it('a tampered signature → refused', async () => {
    const { token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 5 });
    const url = new URL(ticket.upload.url);
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', `${signature.startsWith('0') ? '1' : '0'}${signature.slice(1)}`);

    expect(await put(url.toString(), 'hello', 'text/plain')).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it("a PUT URL cannot write another key, not even the caller's own next upload", async () => {
    const { token } = await newUser({ label: 'strict' });
    const first = await requestUpload(token, { size: 5 });
    const second = await requestUpload(token, { size: 5 });
    const url = new URL(first.upload.url);
    url.pathname = new URL(second.upload.url).pathname;

    expect((await put(url.toString(), 'hello', 'text/plain')).status).toBe(403);
    expect((await confirm(token, second.document.id)).body.error.code).toBe('upload_missing');
  });

  it('the exact signed PUT works, for user ids that need encoding in the key', async () => {
    for (const label of ['auth0|5f1e', 'a user@example.test', 'Ünïcødé+plus']) {
      const { userId, token } = await newUser({ label });
      const content = `hello ${label}`;
      const id = await uploadDocument(token, content, { filename: 'odd name (1).txt' });

      const row = await rowOf(id);
      expect(row?.storage_key.startsWith(`users/${encodeURIComponent(userId)}/${id}/`)).toBe(true);
      const document = await getDocument(token, id);
      const download = await fetch(document.body.downloadUrl);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe(content);
    }
  });
});

describe.runIf(strict)('a presigned GET only reads the document it was made for', () => {
  it('cannot be reused for another key', async () => {
    const { token } = await newUser({ label: 'strict' });
    const mine = await uploadDocument(token, 'mine');
    const other = await newUser({ label: 'strict' });
    const theirs = await uploadDocument(other.token, 'theirs');
    const url = new URL((await getDocument(token, mine)).body.downloadUrl);
    url.pathname = url.pathname.replace(/users\/.*$/, (await rowOf(theirs))?.storage_key ?? '');

    const response = await fetch(url);

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('SignatureDoesNotMatch');
  });

  it('with a tampered signature → refused', async () => {
    const { token } = await newUser({ label: 'strict' });
    const id = await uploadDocument(token, 'mine');
    const url = new URL((await getDocument(token, id)).body.downloadUrl);
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', `${signature.startsWith('f') ? 'e' : 'f'}${signature.slice(1)}`);

    expect((await fetch(url)).status).toBe(403);
  });
});

describe.runIf(strict)("the bucket's CORS", () => {
  async function preflight(origin: string, headers = 'content-type') {
    const { token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 5 });
    return fetch(ticket.upload.url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': headers,
      },
    });
  }

  it('allows a PUT preflight from an origin in ALLOWED_ORIGINS', async () => {
    const response = await preflight(allowedOrigin);

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  it("answers an allowed origin's PUT with the CORS headers a browser needs to read the ETag", async () => {
    const { token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 5 });

    const response = await fetch(ticket.upload.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain', origin: allowedOrigin },
      body: 'hello',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(response.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('refuses a preflight for a header the rule does not list: the bucket allows what the AWS one does', async () => {
    const response = await preflight(allowedOrigin, 'content-type, x-not-allowed');

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a preflight from an origin not in ALLOWED_ORIGINS', async () => {
    const response = await preflight('http://elsewhere.example.test');

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.runIf(strict)('S3 refusing to delete a key (a per-key error in DeleteObjects)', () => {
  afterEach(allowDeletes);

  it("confirm's oversize path still answers 413 and keeps the key for the purge, counting nothing", async () => {
    const { userId, token } = await newUser({ label: 'strict' });
    const ticket = await requestUpload(token, { size: 10 });
    const key = await putObjectDirectly(ticket.document.id, new Uint8Array(1024 * 1024 + 1));
    await denyDeletes([key]);

    const result = await confirm(token, ticket.document.id);

    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('file_too_large');
    expect((await rowOf(ticket.document.id))?.status).toBe('pending');
    expect(await headObjectSize(key)).toBe(1024 * 1024 + 1);
    expect(await usedBytes(userId)).toBe(0);

    // Once S3 allows it, the purge of the expired upload deletes the object.
    await allowDeletes();
    await sql`update documents set created_at = now() - interval '2 hours' where id = ${ticket.document.id}`.execute(
      db(),
    );
    await runPurge();
    expect(await rowOf(ticket.document.id)).toBeUndefined();
    expect(await headObjectSize(key)).toBeUndefined();
  });

  it('the purge deletes the rest of the batch and keeps the refused key as a tombstone it retries', async () => {
    const { token } = await newUser({ label: 'strict' });
    const tickets = await Promise.all([1, 2, 3].map(() => requestUpload(token, { size: 5 })));
    for (const ticket of tickets) await putBytes(ticket, 'hello');
    const keys = await Promise.all(tickets.map(async (t) => (await rowOf(t.document.id))?.storage_key ?? ''));
    const [refused = '', ...others] = keys;
    await sql`update documents set created_at = now() - interval '2 hours'
              where id in (${sql.join(tickets.map((t) => t.document.id))})`.execute(db());
    await denyDeletes([refused]);

    const counts = await runPurge();

    expect(counts.purged).toBe(3);
    for (const ticket of tickets) expect(await rowOf(ticket.document.id)).toBeUndefined();
    for (const key of others) expect(await headObjectSize(key)).toBeUndefined();
    expect(await headObjectSize(refused)).toBe(5);
    const tombstone = await db()
      .selectFrom('upload_tombstones')
      .selectAll()
      .where('storage_key', '=', refused)
      .executeTakeFirst();
    expect(tombstone?.delete_after.getTime()).toBeGreaterThan(Date.now());

    // A sweep after the retry time, while S3 still refuses: the key stays; once S3 allows it, it goes.
    const due = sql`update upload_tombstones set delete_after = now() - interval '1 second'
                    where storage_key = ${refused}`;
    await due.execute(db());
    expect(await sweepTombstones()).toBe(0);
    expect(await headObjectSize(refused)).toBe(5);
    await allowDeletes();
    await due.execute(db());
    expect(await sweepTombstones()).toBe(1);
    expect(await headObjectSize(refused)).toBeUndefined();
    const left = await db()
      .selectFrom('upload_tombstones')
      .selectAll()
      .where('storage_key', '=', refused)
      .execute();
    expect(left).toEqual([]);
  });

  it('DELETE to the trash needs no S3 delete; ?permanent=true deletes and refunds, and the refused key waits, tombstoned, for the sweep', async () => {
    const { userId, token } = await newUser({ label: 'strict' });
    const id = await uploadDocument(token, 'keep me');
    const key = (await rowOf(id))?.storage_key ?? '';
    await denyDeletes([key]);

    expect((await deleteDocument(token, id)).status).toBe(204);
    expect((await rowOf(id))?.deleted_at).toBeInstanceOf(Date);
    expect(await usedBytes(userId)).toBe(7);

    const result = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      token,
      query: { permanent: 'true' },
    });

    expect(result.status).toBe(204);
    expect(await rowOf(id)).toBeUndefined();
    expect(await usedBytes(userId)).toBe(0);
    expect(await headObjectSize(key)).toBe(7);
    const tombstone = () =>
      db().selectFrom('upload_tombstones').selectAll().where('storage_key', '=', key).executeTakeFirst();
    // Due once its upload URL can no longer be used (it was signed a moment ago); time passes here.
    expect((await tombstone())?.delete_after.getTime()).toBeGreaterThan(Date.now());
    await sql`update upload_tombstones set delete_after = now() where storage_key = ${key}`.execute(db());
    await allowDeletes();
    await sweepTombstones();
    expect(await headObjectSize(key)).toBeUndefined();
    expect(await tombstone()).toBeUndefined();
  });
});
