// A specification over 300 lines on purpose: the purge: expired uploads, tombstones, stranded documents; each case sets up its own data.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { handler as documentsHandler } from '../../functions/documents.js';
import { handler as purgeHandler } from '../../functions/purge.js';
import { createS3Client, headObjectSize, storageKey } from '../../lib/platform/aws/storage.js';
import { config } from '../../lib/platform/config.js';
import { db } from '../../lib/platform/db/client.js';
import { TOMBSTONE_SLACK_SECONDS } from '../../lib/platform/db/tombstones.js';
import { purgeExpiredUploads, reenqueueStrandedUploads, sweepTombstones } from '../../lib/purge/purge.js';
import { findStrandedUploads } from '../../lib/purge/purge.queries.js';
import { call, lambdaContext } from '../helpers/api.js';
import { awaitClassifyMessage } from '../helpers/queue.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';

// The purge works on the whole table: this file gets a database of its own, so its counts are exact and it never
// deletes rows another test file is using.
await vi.hoisted(async () => (await import('../helpers/own-database.js')).useOwnDatabase('kite_purge'));

type Status = 'pending' | 'uploaded' | 'classified' | 'failed';

interface Seeded {
  id: string;
  key: string;
}

/**
 * `count` documents with the given status, created (and, unless pending, confirmed) `ageSeconds` ago. An age past
 * PENDING_UPLOAD_TTL_SECONDS is how a test makes a pending upload expired without touching the configuration.
 */
async function seed(userId: string, status: Status, ageSeconds: number, count = 1): Promise<Seeded[]> {
  const rows = await sql<Seeded>`
    insert into documents (id, user_id, filename, content_type, size_bytes, storage_key, status, created_at,
                           confirmed_at, classified_at)
    select id, ${userId}, 'f.txt', 'text/plain', ${status === 'pending' ? null : 3},
           'users/' || ${userId} || '/' || id || '/f.txt', ${status}, ts,
           ${status === 'pending' ? null : sql`ts`}, ${status === 'classified' ? sql`ts` : null}
    from (
      select gen_random_uuid() as id, now() - make_interval(secs => ${ageSeconds}) as ts
      from generate_series(1, ${count})
    ) seed
    returning id, storage_key as key
  `.execute(db());
  return rows.rows;
}

async function putObjects(keys: readonly string[]): Promise<void> {
  const s3 = await createS3Client(config());
  try {
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(
        keys
          .slice(start, start + 50)
          .map((Key) => s3.send(new PutObjectCommand({ Bucket: config().S3_BUCKET, Key, Body: 'abc' }))),
      );
    }
  } finally {
    s3.destroy();
  }
}

async function existingIds(ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db().selectFrom('documents').select('id').where('id', 'in', ids).execute();
  return rows.map((row) => row.id);
}

async function countExpiredPending(): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from documents
    where status = 'pending' and created_at < now() - make_interval(secs => ${config().PENDING_UPLOAD_TTL_SECONDS})
  `.execute(db());
  return result.rows[0]?.n ?? 0;
}

const HOUR = 3600;
const TWO_HOURS = 2 * HOUR;

describe('purgeExpiredUploads', () => {
  it('removes expired pending rows and their objects and leaves fresh pending, uploaded and classified ones', async () => {
    const { userId } = await newUser({ provisioned: true });
    const expired = await seed(userId, 'pending', TWO_HOURS, 3);
    const fresh = await seed(userId, 'pending', 60);
    const uploaded = await seed(userId, 'uploaded', TWO_HOURS);
    const classified = await seed(userId, 'classified', TWO_HOURS);
    const failed = await seed(userId, 'failed', TWO_HOURS);
    const kept = [...fresh, ...uploaded, ...classified, ...failed];
    await putObjects([...expired, ...kept].map((doc) => doc.key));
    await db().updateTable('quotas').set({ used_bytes: 9 }).where('user_id', '=', userId).execute();

    const purged = await purgeExpiredUploads();

    expect(purged).toBe(3);
    expect(await existingIds(expired.map((doc) => doc.id))).toEqual([]);
    for (const doc of expired) expect(await headObjectSize(doc.key)).toBeUndefined();
    expect((await existingIds(kept.map((doc) => doc.id))).sort()).toEqual(kept.map((doc) => doc.id).sort());
    for (const doc of kept) expect(await headObjectSize(doc.key)).toBe(3);
    const quota = await db()
      .selectFrom('quotas')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(quota?.used_bytes).toBe(9);
  });

  it('deletes a row whose object was never uploaded', async () => {
    const { userId } = await newUser({ provisioned: true });
    const [doc] = await seed(userId, 'pending', TWO_HOURS);

    expect(await purgeExpiredUploads()).toBe(1);
    expect(await existingIds([doc?.id ?? ''])).toEqual([]);
  });

  it('works through more rows than one batch', async () => {
    const { userId } = await newUser({ provisioned: true });
    const docs = await seed(userId, 'pending', TWO_HOURS, 25);
    await putObjects(docs.slice(0, 5).map((doc) => doc.key));

    const purged = await purgeExpiredUploads({ batchSize: 10 });

    expect(purged).toBe(25);
    expect(await countExpiredPending()).toBe(0);
    for (const doc of docs.slice(0, 5)) expect(await headObjectSize(doc.key)).toBeUndefined();
  });

  it('starts no batch once its deadline has passed', async () => {
    const { userId } = await newUser({ provisioned: true });
    const docs = await seed(userId, 'pending', TWO_HOURS, 2);

    expect(await purgeExpiredUploads({ deadline: Date.now() - 1 })).toBe(0);
    expect((await existingIds(docs.map((doc) => doc.id))).length).toBe(2);
    expect(await purgeExpiredUploads()).toBe(2);
  });

  it('two purges at once over 5,000 expired rows delete each row exactly once', async () => {
    const users = await Promise.all(Array.from({ length: 10 }, () => newUser({ provisioned: true })));
    const docs = (
      await Promise.all(users.map(({ userId }) => seed(userId, 'pending', TWO_HOURS, 500)))
    ).flat();
    const withObjects = docs.filter((_, i) => i % 25 === 0);
    await putObjects(withObjects.map((doc) => doc.key));
    expect(await countExpiredPending()).toBe(5000);

    const [first, second] = await Promise.all([
      purgeExpiredUploads({ batchSize: 200 }),
      purgeExpiredUploads({ batchSize: 200 }),
    ]);

    expect(first + second).toBe(5000);
    expect(await countExpiredPending()).toBe(0);
    for (const doc of withObjects) expect(await headObjectSize(doc.key)).toBeUndefined();
  });
});

describe('reenqueueStrandedUploads', () => {
  it('queues an uploaded document the extract stage never saw to extraction', async () => {
    const { userId } = await newUser({ provisioned: true });
    const [stranded] = await seed(userId, 'uploaded', HOUR);

    const sent = await reenqueueStrandedUploads();

    expect(sent).toBeGreaterThanOrEqual(1);
    expect(await awaitClassifyMessage(stranded?.id ?? '', 'extract')).toEqual({ documentId: stranded?.id });
  });

  it('queues an extracted document left unclassified past RECLASSIFY_AFTER_SECONDS to classification', async () => {
    const { userId } = await newUser({ provisioned: true });
    const [stranded] = await seed(userId, 'uploaded', HOUR);
    await db()
      .updateTable('documents')
      .set({ text_source: 'ocr' })
      .where('id', '=', stranded?.id ?? '')
      .execute();

    await reenqueueStrandedUploads();

    expect(await awaitClassifyMessage(stranded?.id ?? '')).toEqual({ documentId: stranded?.id });
  });

  it('leaves recently confirmed, classified, failed and pending documents alone', async () => {
    const { userId } = await newUser({ provisioned: true });
    const ignored = [
      ...(await seed(userId, 'uploaded', 60)),
      ...(await seed(userId, 'classified', HOUR)),
      ...(await seed(userId, 'failed', HOUR)),
      ...(await seed(userId, 'pending', 30 * 60)),
    ];

    const stranded = await findStrandedUploads(db(), config().RECLASSIFY_AFTER_SECONDS, 10_000);

    for (const doc of ignored) expect(stranded).not.toContain(doc.id);
  });

  it('sends at most `limit` messages per run, oldest first', async () => {
    const { userId } = await newUser({ provisioned: true });
    const older = await seed(userId, 'uploaded', 3 * HOUR, 3);
    await seed(userId, 'uploaded', 2 * HOUR, 3);

    const ids = await findStrandedUploads(db(), config().RECLASSIFY_AFTER_SECONDS, 3);
    const sent = await reenqueueStrandedUploads({ limit: 3 });

    expect(sent).toBe(3);
    expect(ids.sort()).toEqual(older.map((doc) => doc.id).sort());
  });
});

async function tombstones(keys: readonly string[]) {
  if (keys.length === 0) return [];
  return db().selectFrom('upload_tombstones').selectAll().where('storage_key', 'in', keys).execute();
}

/** What happens once the upload URL has expired, without waiting for it. */
async function expireTombstones(keys: readonly string[]): Promise<void> {
  await sql`
    update upload_tombstones set delete_after = now() - interval '1 second' where storage_key = any(${keys}::text[])
  `.execute(db());
}

/** DELETE ?permanent=true: for good, past the trash (a pending upload is deleted at once either way). */
async function deleteThroughApi(token: string, id: string): Promise<void> {
  const result = await call(documentsHandler, {
    method: 'DELETE',
    path: `/api/documents/${id}`,
    params: { id },
    query: { permanent: 'true' },
    token,
  });
  expect(result.status).toBe(204);
}

// A presigned PUT cannot be revoked. Without tombstones, upload-url → DELETE → PUT leaves an object nobody owns and
// no quota counts: unlimited storage for anyone who repeats it.
describe('tombstones: objects written after their document was deleted', () => {
  it('an object PUT to a deleted pending document is swept once its upload URL has expired', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { filename: 'late.txt', size: 5 });
    const key = storageKey(userId, ticket.document.id, 'late.txt');
    await deleteThroughApi(token, ticket.document.id);
    await putBytes(ticket, 'hello');
    expect(await headObjectSize(key)).toBe(5);

    // Kept until the URL has expired plus an hour for a PUT begun just before expiry.
    const [tombstone] = await tombstones([key]);
    const window = (config().UPLOAD_URL_TTL_SECONDS + TOMBSTONE_SLACK_SECONDS) * 1000;
    expect(tombstone?.delete_after.getTime()).toBeGreaterThan(Date.now() + window - 60_000);
    expect(tombstone?.delete_after.getTime()).toBeLessThanOrEqual(Date.now() + window + 60_000);

    // While the URL works, deleting would be pointless: the client could PUT again.
    expect(await sweepTombstones()).toBe(0);
    expect(await headObjectSize(key)).toBe(5);

    await expireTombstones([key]);
    expect(await sweepTombstones()).toBe(1);
    expect(await headObjectSize(key)).toBeUndefined();
    expect(await tombstones([key])).toEqual([]);
  });

  it('a confirmed document deleted within its URL lifetime is tombstoned too, after its refund', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const ticket = await requestUpload(token, { filename: 'again.txt', size: 5 });
    await putBytes(ticket, 'hello');
    expect((await confirm(token, ticket.document.id)).status).toBe(200);
    await deleteThroughApi(token, ticket.document.id);
    const key = storageKey(userId, ticket.document.id, 'again.txt');
    const quota = await db()
      .selectFrom('quotas')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    expect(quota?.used_bytes).toBe(0);

    await putBytes(ticket, 'hello');
    await expireTombstones([key]);
    expect(await sweepTombstones()).toBe(1);
    expect(await headObjectSize(key)).toBeUndefined();
  });

  it('a document whose upload URL expired long ago leaves no tombstone', async () => {
    const { userId, token } = await newUser({ provisioned: true });
    const [old] = await seed(userId, 'uploaded', TWO_HOURS);
    await deleteThroughApi(token, old?.id ?? '');
    expect(await tombstones([old?.key ?? ''])).toEqual([]);
  });

  it('an expired pending upload whose URL may still be in use is tombstoned when purged', async () => {
    const { userId } = await newUser({ provisioned: true });
    // Past PENDING_UPLOAD_TTL_SECONDS (3600) but within UPLOAD_URL_TTL_SECONDS + the slack (900 + 3600).
    const [recent] = await seed(userId, 'pending', 4000);
    const [old] = await seed(userId, 'pending', TWO_HOURS);

    expect(await purgeExpiredUploads()).toBe(2);

    expect(await existingIds([recent?.id ?? '', old?.id ?? ''])).toEqual([]);
    const [tombstone] = await tombstones([recent?.key ?? '']);
    expect(tombstone?.delete_after.getTime()).toBeGreaterThan(Date.now() + 400_000);
    expect(await tombstones([old?.key ?? ''])).toEqual([]);
  });

  it('two sweeps at once take each tombstone exactly once', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `users/sweep/${i}/f.txt`);
    await sql`
      insert into upload_tombstones (storage_key, delete_after)
      select key, now() - interval '1 minute' from unnest(${keys}::text[]) key
    `.execute(db());

    const [a, b] = await Promise.all([sweepTombstones(), sweepTombstones()]);

    expect(a + b).toBe(keys.length);
    expect(await tombstones(keys)).toEqual([]);
  });
});

describe('the scheduled purge function', () => {
  it('purges, sweeps tombstones and re-enqueues in one run and returns the counts', async () => {
    const { userId } = await newUser({ provisioned: true });
    const expired = await seed(userId, 'pending', TWO_HOURS, 2);
    const [stranded] = await seed(userId, 'uploaded', HOUR);
    await sql`
      insert into upload_tombstones (storage_key, delete_after)
      values (${`users/${userId}/late/f.txt`}, now() - interval '1 minute')
    `.execute(db());

    const counts = await purgeHandler({}, lambdaContext('kite-purge'));

    expect(counts.purged).toBe(2);
    expect(counts.tombstones).toBe(1);
    expect(counts.reenqueued).toBeGreaterThanOrEqual(1);
    expect(await existingIds(expired.map((doc) => doc.id))).toEqual([]);
    expect(await awaitClassifyMessage(stranded?.id ?? '', 'extract')).toEqual({ documentId: stranded?.id });
  });
});
