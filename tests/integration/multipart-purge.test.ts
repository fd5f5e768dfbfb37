import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { handler as documentsHandler } from '../../functions/documents.js';
import { createS3Client } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { db } from '../../lib/platform/db/client.js';
import { purgeExpiredUploads, sweepTombstones } from '../../lib/purge/purge.js';
import { call } from '../helpers/api.js';
import { createMultipartUpload, MiB, putPart, signOk, startMultipartOk } from '../helpers/multipart.js';
import { newUser } from '../helpers/users.js';

// The purge works on whole tables: a database of this file's own (see tests/helpers/own-database.ts).
await vi.hoisted(async () =>
  (await import('../helpers/own-database.js')).useOwnDatabase('kite_multipart_purge'),
);
await vi.hoisted(async () =>
  (await import('../helpers/env.js')).configure({
    MAX_UPLOAD_BYTES: String(64 * 1024 ** 2),
    DEFAULT_QUOTA_BYTES: String(64 * 1024 ** 2),
  }),
);

/** The upload ids S3 holds under exactly this key. */
async function openUploads(key: string): Promise<string[]> {
  const s3 = await createS3Client(config());
  try {
    const listed = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: config().S3_BUCKET, Prefix: key }),
    );
    return (listed.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId ?? '');
  } finally {
    s3.destroy();
  }
}

/** A multipart document with an upload holding its first part. */
async function startedUpload(token: string) {
  const ticket = await startMultipartOk(token, { size: 6 * MiB, partSize: 5 * MiB });
  const uploadId = await createMultipartUpload(ticket);
  const [part] = await signOk(token, ticket.document.id, {
    uploadId,
    operation: 'uploadPart',
    partNumbers: [1],
  });
  if (!part) throw new Error('no part request');
  await putPart(part, randomBytes(5 * MiB));
  return { ticket, uploadId };
}

async function age(documentId: string, createdSecondsAgo: number, activeSecondsAgo: number) {
  await db()
    .updateTable('documents')
    .set({
      created_at: new Date(Date.now() - createdSecondsAgo * 1000),
      last_activity_at: new Date(Date.now() - activeSecondsAgo * 1000),
    })
    .where('id', '=', documentId)
    .execute();
}

describe('the purge and multipart uploads', () => {
  it('aborts an idle multipart upload, even one kite never learned of, and leaves an active one alone', async () => {
    const { userId, token } = await newUser({ label: 'mp-purge' });
    const idle = await startedUpload(token);
    // The create URL still works: a second upload under the same key that no signing ever named.
    const unknownUploadId = await createMultipartUpload(idle.ticket);
    const active = await startedUpload(token);
    const ttl = config().PENDING_UPLOAD_TTL_SECONDS;
    await age(idle.ticket.document.id, ttl + 600, ttl + 60);
    // Created as long ago, but signed for a minute ago: still active.
    await age(active.ticket.document.id, ttl + 600, 60);
    expect((await openUploads(idle.ticket.upload.key)).sort()).toEqual(
      [idle.uploadId, unknownUploadId].sort(),
    );

    expect(await purgeExpiredUploads()).toBe(1);

    expect(await openUploads(idle.ticket.upload.key)).toEqual([]);
    expect(await openUploads(active.ticket.upload.key)).toEqual([active.uploadId]);
    const left = await db().selectFrom('documents').select('id').where('user_id', '=', userId).execute();
    expect(left.map((d) => d.id)).toEqual([active.ticket.document.id]);
    // Its last URL may still be in use: the key is tombstoned, marked multipart.
    const tombstone = await db()
      .selectFrom('upload_tombstones')
      .selectAll()
      .where('storage_key', '=', idle.ticket.upload.key)
      .executeTakeFirst();
    expect(tombstone?.multipart).toBe(true);
  });

  it('a deleted pending multipart document has its open uploads aborted by the tombstone sweep', async () => {
    const { token } = await newUser({ label: 'mp-delete' });
    const { ticket, uploadId } = await startedUpload(token);
    const id = ticket.document.id;
    const deleted = await call(documentsHandler, {
      method: 'DELETE',
      path: `/api/documents/${id}`,
      params: { id },
      token,
    });
    expect(deleted.status).toBe(204);
    expect(await openUploads(ticket.upload.key)).toEqual([uploadId]);
    // Once its URLs have expired the sweep takes it.
    await db()
      .updateTable('upload_tombstones')
      .set({ delete_after: new Date(Date.now() - 1000) })
      .where('storage_key', '=', ticket.upload.key)
      .execute();
    expect(await sweepTombstones()).toBeGreaterThanOrEqual(1);
    expect(await openUploads(ticket.upload.key)).toEqual([]);
  });
});
