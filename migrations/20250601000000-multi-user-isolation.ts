import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { type Kysely, sql } from 'kysely';

/**
 * Multi-user isolation (docs/deploy.md "Deploy to AWS", migrations): ownerless documents go, with their objects;
 * documents.user_id becomes NOT NULL; quotas.used_bytes is reconciled to the real sum of confirmed sizes; the old
 * unowned topics go, and topics gain an owner (NULL = system) with a per-namespace, case-insensitive unique name.
 *
 * Objects are deleted before the rows (inside the migration's transaction): if the transaction then fails, the
 * rows are still there and a rerun deletes them again (a missing object is fine), so nothing is left half-done.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const orphans = await sql<{ storage_key: string }>`
    select storage_key from documents where user_id is null`.execute(db);
  await deleteObjects(orphans.rows.map((row) => row.storage_key));

  await sql`delete from documents where user_id is null`.execute(db);
  await sql`alter table documents alter column user_id set not null`.execute(db);
  await sql`
    update quotas q set used_bytes = coalesce((
      select sum(d.size_bytes) from documents d
      where d.user_id = q.user_id and d.status in ('uploaded', 'classified', 'failed') and d.size_bytes is not null
    ), 0)`.execute(db);

  await sql`delete from topics`.execute(db);
  await sql`alter table topics add column if not exists user_id text references users (id) on delete cascade`.execute(
    db,
  );
  await sql`drop index if exists topics_name_key`.execute(db);
  await sql`
    create unique index if not exists topics_namespace_name_key on topics (coalesce(user_id, ''), lower(name))
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('multi-user isolation deletes data and cannot be reverted');
}

/** Its own S3 client from the environment: migrations import nothing of the app's. */
async function deleteObjects(keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const bucket = process.env.S3_BUCKET;
  if (!bucket) throw new Error('S3_BUCKET must be set to delete the objects of ownerless documents');
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  const s3 = new S3Client({
    region: process.env.AWS_REGION || 'us-east-1',
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
  try {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000).map((Key) => ({ Key }));
      const result = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      const failed = (result.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      if (failed.length > 0)
        throw new Error(`could not delete ${failed.length} object(s), first ${failed[0]?.Key}`);
    }
  } finally {
    s3.destroy();
  }
}
