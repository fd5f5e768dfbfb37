import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from './schema.js';
import { TOMBSTONE_SLACK_SECONDS } from './tombstones.js';

// Deleting documents for good (docs/api.md "Editing documents, bulk actions and the trash"): DELETE ?permanent=true,
// the trash's deletes, the bulk action and the purge of an old trash all run this one statement, so they refund
// and tombstone alike. Shared SQL, so no feature reads another's queries.

/** Which documents one permanent delete takes. */
export type PermanentDeleteScope =
  /** These ids of the owner's (any state; `pendingOnly`: only those never confirmed; `trashedOnly`: in the trash). */
  | { kind: 'ids'; userId: string; ids: readonly string[]; pendingOnly?: boolean; trashedOnly?: boolean }
  /** Everything in the owner's trash. */
  | { kind: 'trash'; userId: string }
  /** Up to `limit` documents (any owner) in the trash for longer than `days`, skipping rows others hold. */
  | { kind: 'expired'; days: number; limit: number };

export interface PermanentlyDeleted {
  id: string;
  user_id: string;
  storage_key: string;
  /** Its thumbnail's key (docs/api.md "Text from scans and photos (OCR) and previews"), deleted with it; null when it had none. */
  thumbnail_key: string | null;
  multipart: boolean;
}

function claim(scope: PermanentDeleteScope): RawBuilder<unknown> {
  switch (scope.kind) {
    case 'ids':
      return sql`
        select id from documents
        where user_id = ${scope.userId} and id = any(${[...scope.ids]}::uuid[])
          ${scope.pendingOnly ? sql`and status = 'pending'` : sql``}
          ${scope.trashedOnly ? sql`and deleted_at is not null` : sql``}
        order by id for update`;
    case 'trash':
      return sql`
        select id from documents where user_id = ${scope.userId} and deleted_at is not null
        order by id for update`;
    case 'expired':
      return sql`
        select id from documents
        where deleted_at < now() - make_interval(days => ${scope.days})
        order by deleted_at limit ${scope.limit}
        for update skip locked`;
  }
}

/**
 * Deletes the rows in scope, refunds each owner the confirmed bytes, and tombstones every key — one statement, so
 * one transaction. The rows are locked in id order before the DELETE, so concurrent calls (ten "empty the trash"
 * at once) queue instead of deadlocking, and a row is returned to one of them only: the refund happens once.
 *
 * Every key is tombstoned, due now (or when its last upload URL can no longer be used): the caller then deletes
 * the objects and the tombstones that were due (deleteObjectsOf). If S3 fails, the tombstones stay and the purge's
 * sweep deletes the objects later, so the delete itself never waits for S3 to come back.
 */
export async function deletePermanently(
  db: Kysely<Database>,
  scope: PermanentDeleteScope,
  uploadUrlTtlSeconds: number,
): Promise<PermanentlyDeleted[]> {
  const keepFor = uploadUrlTtlSeconds + TOMBSTONE_SLACK_SECONDS;
  const result = await sql<PermanentlyDeleted>`
    with claimed as materialized (${claim(scope)}),
    gone as (
      delete from documents d using claimed where d.id = claimed.id
      returning d.id, d.user_id, d.storage_key, d.thumbnail_key, d.part_bytes is not null as multipart,
        coalesce(d.last_activity_at, d.created_at) as active_at,
        case when d.status <> 'pending' then coalesce(d.size_bytes, 0) else 0 end as refund
    ), tombstone as (
      insert into upload_tombstones (storage_key, delete_after, multipart)
      select storage_key, greatest(active_at + make_interval(secs => ${keepFor}), now()), multipart from gone
      union all
      -- No client can write a thumbnail's key: due at once.
      select thumbnail_key, now(), false from gone where thumbnail_key is not null
      on conflict (storage_key) do nothing
    ), refund as (
      update quotas q set used_bytes = greatest(q.used_bytes - r.bytes, 0)
      from (select user_id, sum(refund) as bytes from gone group by user_id) r
      where q.user_id = r.user_id and r.bytes > 0
    )
    select id, user_id, storage_key, thumbnail_key, multipart from gone
  `.execute(db);
  return result.rows;
}

/**
 * After their objects were deleted: the tombstones of these keys that were due at once. A key whose upload URL
 * may still be in use (or a multipart key, whose open uploads the sweep aborts) keeps its tombstone.
 */
export async function deleteDueTombstones(db: Kysely<Database>, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    delete from upload_tombstones
    where storage_key = any(${[...keys]}::text[]) and delete_after <= now() and not multipart
  `.execute(db);
}
