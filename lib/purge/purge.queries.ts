import { type Kysely, sql } from 'kysely';
import type { Database } from '../platform/db/schema.js';
import { insertFilenameOnly } from '../platform/db/search-rows.js';
import { tombstoneDeletedKeys } from '../platform/db/tombstones.js';

/** The purge's queries (docs/operations.md "Purge"): expired pending uploads, putting rows back, stranded uploads. */

export interface PurgedDocument {
  storage_key: string;
  /** It was a multipart upload: unfinished uploads under its key are aborted. */
  multipart: boolean;
  /** The deleted row as JSON text, so it can be put back exactly if its object cannot be deleted. */
  snapshot: string;
}

/**
 * Deletes up to `limit` pending documents last active (created, or signed for) more than `olderThanSeconds` ago
 * and returns their keys. The rows are claimed with FOR UPDATE SKIP LOCKED, so concurrent purges take disjoint
 * batches and never wait on each other (or on a confirm that holds a row); a row a confirm flipped to `uploaded`
 * is re-checked and left alone.
 */
export async function deleteExpiredPendingDocuments(
  db: Kysely<Database>,
  olderThanSeconds: number,
  limit: number,
  uploadUrlTtlSeconds: number,
): Promise<PurgedDocument[]> {
  // A pending upload may expire while its last URL still works (PENDING_UPLOAD_TTL_SECONDS close to, or below,
  // UPLOAD_URL_TTL_SECONDS): its key is tombstoned like a deleted document's, in the same statement.
  const result = await sql<PurgedDocument>`
    with claimed as materialized (
      select id from documents
      where status = 'pending'
        and coalesce(last_activity_at, created_at) < now() - make_interval(secs => ${olderThanSeconds})
      order by coalesce(last_activity_at, created_at)
      limit ${limit}
      for update skip locked
    ), purged as (
      delete from documents d using claimed
      where d.id = claimed.id and d.status = 'pending'
      returning d.storage_key, coalesce(d.last_activity_at, d.created_at) as active_at,
        d.part_bytes is not null as multipart,
        to_jsonb(d)::text as snapshot
    ), tombstone as (
      ${tombstoneDeletedKeys('purged', uploadUrlTtlSeconds, { multipartAlways: false })}
    )
    select storage_key, multipart, snapshot from purged
  `.execute(db);
  return result.rows;
}

/**
 * Puts purged rows back (after their objects could not be deleted), so the next purge retries them. Rows whose
 * owner has gone meanwhile stay gone; a row that somehow exists again is left as it is.
 */
export async function restorePurgedDocuments(
  db: Kysely<Database>,
  snapshots: readonly string[],
  searchLanguage: string,
): Promise<number> {
  if (snapshots.length === 0) return 0;
  // A restored row's key is live again: the purge must not sweep it (it may yet be confirmed). Its search row went
  // with it (a pending document's is its filename alone) and comes back too.
  const result = await sql<{ restored: number }>`
    with rows as (
      select r.* from jsonb_populate_recordset(null::documents, ${`[${snapshots.join(',')}]`}::jsonb) r
    ), untombed as (
      delete from upload_tombstones where storage_key in (select storage_key from rows)
    ), restored as (
      insert into documents
      select * from rows r where exists (select 1 from users u where u.id = r.user_id)
      on conflict do nothing
      returning id, user_id, filename
    ), indexed as (
      ${insertFilenameOnly('restored', searchLanguage)}
    )
    select count(*)::int as restored from restored
  `.execute(db);
  return result.rows[0]?.restored ?? 0;
}

/**
 * Confirmed documents still waiting for their first (or a requested) classification after `olderThanSeconds`,
 * oldest first. created_at ≤ confirmed_at, so the created_at bound lets the (status, created_at) index narrow
 * the scan before confirmed_at is checked.
 */
export async function findStrandedUploads(
  db: Kysely<Database>,
  olderThanSeconds: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('documents')
    .select('id')
    .where('status', '=', 'uploaded')
    .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .where('confirmed_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
