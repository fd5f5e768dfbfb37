import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * How long after its upload URL expires a deleted document's key stays tombstoned. S3 checks a presigned URL when
 * a PUT starts, so an upload begun just before expiry may still be arriving; the hour also covers clock skew and a
 * lowered UPLOAD_URL_TTL_SECONDS (the window is computed with the current value). Waiting costs nothing.
 */
export const TOMBSTONE_SLACK_SECONDS = 3600;

/**
 * The INSERT, for a CTE of one statement, that tombstones the keys of the rows its CTE `from` deleted (columns
 * storage_key, active_at = the last time a URL was signed for it, multipart) while their last upload URL may still
 * be in use; with `multipartAlways`, a multipart key whatever its age (the purge then aborts its open uploads).
 * Written once for the document delete and the purge of expired pending uploads.
 */
export function tombstoneDeletedKeys(
  from: string,
  uploadUrlTtlSeconds: number,
  options: { multipartAlways: boolean },
): RawBuilder<unknown> {
  const keepFor = uploadUrlTtlSeconds + TOMBSTONE_SLACK_SECONDS;
  return sql`
    insert into upload_tombstones (storage_key, delete_after, multipart)
    select storage_key, greatest(active_at + make_interval(secs => ${keepFor}), now()), multipart
    from ${sql.table(from)}
    where (${options.multipartAlways} and multipart) or active_at + make_interval(secs => ${keepFor}) > now()
    on conflict (storage_key) do nothing
  `;
}

/** A leased tombstone; a multipart key also has its unfinished uploads aborted. */
export interface DueTombstone {
  storage_key: string;
  multipart: boolean;
}

/**
 * Leases up to `limit` tombstones whose upload window has passed: their `delete_after` moves `leaseSeconds` into
 * the future and their keys are returned. Rows are claimed with SKIP LOCKED, so concurrent purges take disjoint
 * sets; the caller deletes the objects, then the rows (deleteTombstones). If it dies or S3 fails in between, the
 * lease runs out and a later purge retries: a key is never forgotten, and deleting an object twice is harmless.
 */
export async function leaseDueTombstones(
  db: Kysely<Database>,
  limit: number,
  leaseSeconds: number,
): Promise<DueTombstone[]> {
  const result = await sql<DueTombstone>`
    with claimed as materialized (
      select storage_key from upload_tombstones
      where delete_after <= now()
      order by delete_after
      limit ${limit}
      for update skip locked
    )
    update upload_tombstones t set delete_after = now() + make_interval(secs => ${leaseSeconds})
    from claimed
    where t.storage_key = claimed.storage_key
    returning t.storage_key, t.multipart
  `.execute(db);
  return result.rows;
}

export async function deleteTombstones(db: Kysely<Database>, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom('upload_tombstones').where('storage_key', 'in', keys).execute();
}

/**
 * Tombstones keys whose objects S3 refused to delete, due in `afterSeconds` (a tombstone already due later keeps
 * its time), so a later purge's sweep retries them: the key is kept until its object is gone.
 */
export async function tombstoneKeys(
  db: Kysely<Database>,
  keys: readonly string[],
  afterSeconds: number,
): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    insert into upload_tombstones (storage_key, delete_after)
    select key, now() + make_interval(secs => ${afterSeconds}) from unnest(${[...keys]}::text[]) as key
    on conflict (storage_key)
    do update set delete_after = greatest(upload_tombstones.delete_after, excluded.delete_after)
  `.execute(db);
}
