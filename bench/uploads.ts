import { randomBytes, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { handler as confirmHandler } from '../functions/confirm.js';
import { handler as uploadUrlHandler } from '../functions/upload-url.js';
import { createS3Client, headObjectSize } from '../lib/platform/aws/storage.js';
import { config } from '../lib/platform/config.js';
import { createDb } from '../lib/platform/db/client.js';
import { confirmPendingDocument } from '../lib/uploads/uploads.queries.js';
import { ensureUser } from '../lib/users/users.queries.js';
import { signDevToken } from '../local/token.js';
import { call } from '../tests/helpers/api.js';
import type { BenchResult } from './result.js';

/**
 * 200 concurrent confirms for one user near the quota limit. Each concurrent confirm stands for one Lambda
 * instance with its own connection (20 at a time: a pool of 20), doing what confirm does after its read:
 * HeadObject, then the single state + quota statement.
 */
export async function benchConcurrency(): Promise<BenchResult> {
  const cfg = config();
  const db = createDb(cfg.DATABASE_URL, 20);
  const s3 = await createS3Client(cfg);
  const userId = `bench-conc-${randomUUID()}`;
  const count = 200;
  try {
    await ensureUser(db, { id: userId, email: null, role: 'user' }, 0);
    const sizes = Array.from({ length: count }, (_, i) => 1000 + (i % 17) * 100);
    const limit = Math.floor(sizes.reduce((a, b) => a + b, 0) * 0.6);
    await db.updateTable('quotas').set({ limit_bytes: limit }).where('user_id', '=', userId).execute();
    const docs = sizes.map((size) => {
      const id = randomUUID();
      return { id, size, key: `users/${userId}/${id}/c.bin` };
    });
    await db
      .insertInto('documents')
      .values(
        docs.map((d) => ({
          id: d.id,
          user_id: userId,
          filename: 'c.bin',
          content_type: 'text/plain',
          storage_key: d.key,
        })),
      )
      .execute();
    for (let i = 0; i < docs.length; i += 50) {
      await Promise.all(
        docs
          .slice(i, i + 50)
          .map((d) =>
            s3.send(new PutObjectCommand({ Bucket: cfg.S3_BUCKET, Key: d.key, Body: randomBytes(d.size) })),
          ),
      );
    }

    const start = performance.now();
    const outcomes = await Promise.all(
      docs.map(async (d) => {
        const size = (await headObjectSize(d.key)) ?? 0;
        return { size, outcome: await confirmPendingDocument(db, userId, d.id, size) };
      }),
    );
    const seconds = (performance.now() - start) / 1000;

    const accepted = outcomes.filter((o) => o.outcome.kind === 'confirmed');
    const acceptedBytes = accepted.reduce((sum, o) => sum + o.size, 0);
    const quota = await db
      .selectFrom('quotas')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    const consistent = quota.used_bytes === acceptedBytes && quota.used_bytes <= limit;
    if (!consistent)
      throw new Error(`quota drifted: used ${quota.used_bytes}, accepted ${acceptedBytes}, limit ${limit}`);
    return {
      rows: [
        {
          part: 'concurrency',
          case: '200 concurrent confirms, one quota',
          rows: count,
          seconds,
          msPerRow: (seconds * 1000) / count,
          note: `${accepted.length} accepted, ${count - accepted.length} quota_exceeded; used ${quota.used_bytes} = accepted sum, limit ${limit}`,
        },
      ],
      summary: {
        seconds: Number(seconds.toFixed(3)),
        accepted: accepted.length,
        usedBytes: quota.used_bytes,
        limitBytes: limit,
        consistent: 'yes',
      },
    };
  } finally {
    await db.destroy();
    s3.destroy();
  }
}

/** A 200 MB file through the presigned PUT to the emulator, then confirm; bytes never touch a Lambda. */
export async function benchUploadCeiling(): Promise<BenchResult> {
  const megabytes = Number(process.env.BENCH_UPLOAD_MB ?? 200);
  const size = megabytes * 1024 * 1024;
  const userId = `bench-big-${randomUUID()}`;
  const token = await signDevToken(userId);
  const db = createDb(config().DATABASE_URL, 1);
  try {
    await ensureUser(db, { id: userId, email: null, role: 'user' }, size * 2);
    const ticket = await call(uploadUrlHandler, {
      method: 'POST',
      token,
      body: { filename: 'big.bin', contentType: 'application/pdf', size },
    });
    if (ticket.status !== 201)
      throw new Error(`upload-url answered ${ticket.status}: ${JSON.stringify(ticket.body)}`);
    const bytes = Buffer.alloc(size, 7);
    const start = performance.now();
    const put = await fetch(ticket.body.upload.url, {
      method: 'PUT',
      headers: ticket.body.upload.headers,
      body: bytes,
    });
    const putSeconds = (performance.now() - start) / 1000;
    if (!put.ok) throw new Error(`PUT answered ${put.status}`);
    const confirmStart = performance.now();
    const confirmed = await call(confirmHandler, {
      method: 'POST',
      token,
      params: { id: ticket.body.document.id },
    });
    const confirmMs = performance.now() - confirmStart;
    if (confirmed.status !== 200 || confirmed.body.document.sizeBytes !== size) {
      throw new Error(`confirm answered ${confirmed.status}: ${JSON.stringify(confirmed.body)}`);
    }
    const mbPerSecond = megabytes / putSeconds;
    return {
      rows: [
        {
          part: 'upload-ceiling',
          case: `${megabytes} MB presigned PUT + confirm`,
          rows: 1,
          seconds: putSeconds,
          msPerRow: putSeconds * 1000,
          note: `${mbPerSecond.toFixed(0)} MB/s to the emulator; confirm ${confirmMs.toFixed(0)} ms; ${(megabytes / 6).toFixed(0)}× the 6 MB Lambda payload ceiling`,
        },
      ],
      summary: {
        megabytes,
        putSeconds: Number(putSeconds.toFixed(2)),
        mbPerSecond: Number(mbPerSecond.toFixed(1)),
        confirmMs: Number(confirmMs.toFixed(1)),
        lambdaPayloadCeilingMb: 6,
      },
    };
  } finally {
    await db.destroy();
  }
}
