import { type Kysely, sql } from 'kysely';
import type { Database, DocumentRow, ShownDocumentRow } from '../platform/db/schema.js';
import { duplicateOfExpression, findDocumentForOwner } from '../platform/db/shown-documents.js';
import { tombstoneDeletedKeys } from '../platform/db/tombstones.js';

const duplicateOf = duplicateOfExpression.as('duplicate_of');

export type ReclassificationOutcome =
  | { kind: 'marked'; document: ShownDocumentRow }
  | { kind: 'pending' }
  | { kind: 'missing' };

/**
 * Puts a confirmed document (uploaded, classified or failed) back to `uploaded` so it is classified again.
 * `marked` says only that the row changed: enqueueing it is the caller's next step.
 */
export async function markForReclassification(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<ReclassificationOutcome> {
  const updated = await db
    .updateTable('documents as d')
    .set({ status: 'uploaded', error: null, classified_at: null })
    .where('d.id', '=', id)
    .where('d.user_id', '=', userId)
    .where('d.status', 'in', ['uploaded', 'classified', 'failed'])
    .returningAll()
    .returning(duplicateOf)
    .executeTakeFirst();
  if (updated) return { kind: 'marked', document: updated };
  const existing = await findDocumentForOwner(db, userId, id);
  return existing ? { kind: 'pending' } : { kind: 'missing' };
}

export interface ListDocumentsFilter {
  status?: DocumentRow['status'] | undefined;
  topicId?: string | undefined;
  sha256?: string | undefined;
  /** Keyset position: only documents strictly after it in (created_at desc, id desc) order. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/** A listed row plus its created_at as text with microseconds, for the next page's cursor. */
export type ListedDocumentRow = ShownDocumentRow & { cursor_created_at: string };

/**
 * The owner's documents, newest first, one keyset page. The row comparison on (created_at, id) walks the
 * documents(user_id, created_at desc, id desc) index, so a deep page costs the same as the first.
 */
export async function listDocumentsForOwner(
  db: Kysely<Database>,
  userId: string,
  filter: ListDocumentsFilter,
): Promise<ListedDocumentRow[]> {
  let query = db
    .selectFrom('documents as d')
    .selectAll('d')
    .select(duplicateOf)
    .select(
      sql<string>`to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_created_at',
      ),
    )
    .where('d.user_id', '=', userId);
  if (filter.status) query = query.where('d.status', '=', filter.status);
  if (filter.sha256) query = query.where('d.sha256', '=', filter.sha256);
  if (filter.topicId) {
    const topicId = filter.topicId;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('document_topics as dt')
          .select('dt.document_id')
          .whereRef('dt.document_id', '=', 'd.id')
          .where('dt.topic_id', '=', topicId),
      ),
    );
  }
  if (filter.after) {
    query = query.where(
      sql<boolean>`(d.created_at, d.id) < (${filter.after.createdAt}::timestamptz, ${filter.after.id}::uuid)`,
    );
  }
  return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(filter.limit).execute();
}

export interface DeleteOutcome {
  deleted: boolean;
  refundedBytes: number;
}

/**
 * Deletes the owner's document and, when it had been confirmed, gives its bytes back to the quota — one statement,
 * so one transaction. The DELETE locks the row: of concurrent deletes only one gets it back from RETURNING, so
 * the refund happens exactly once. `greatest(…, 0)` keeps a drifted counter from blocking deletes forever.
 */
export async function deleteDocumentWithRefund(
  db: Kysely<Database>,
  userId: string,
  id: string,
  uploadUrlTtlSeconds: number,
): Promise<DeleteOutcome> {
  // While the document's upload URLs may still be in use (the last was signed at its last activity), its key is
  // tombstoned in the same statement, so an object written after the delete is still found and removed by the purge.
  const result = await sql<{ deleted: number; refunded: number }>`
    with gone as (
      delete from documents where id = ${id} and user_id = ${userId}
      returning storage_key, coalesce(last_activity_at, created_at) as active_at, part_bytes is not null as multipart,
        case when status <> 'pending' then coalesce(size_bytes, 0) else 0 end as refund
    ), tombstone as (
      -- A multipart key is always tombstoned: the purge aborts whatever upload is still open under it.
      ${tombstoneDeletedKeys('gone', uploadUrlTtlSeconds, { multipartAlways: true })}
    ), refund as (
      update quotas set used_bytes = greatest(used_bytes - (select sum(refund) from gone), 0)
      where user_id = ${userId} and (select sum(refund) from gone) > 0
      returning user_id
    )
    select
      (select count(*)::int from gone) as deleted,
      (select coalesce(sum(refund), 0)::bigint from gone where exists (select 1 from refund)) as refunded
  `.execute(db);
  const row = result.rows[0];
  return { deleted: (row?.deleted ?? 0) > 0, refundedBytes: Number(row?.refunded ?? 0) };
}
