import { type Kysely, sql } from 'kysely';
import type { Database, DocumentRow, ShownDocumentRow } from '../platform/db/schema.js';
import { duplicateOfExpression, findDocumentForOwner } from '../platform/db/shown-documents.js';

const duplicateOf = duplicateOfExpression.as('duplicate_of');

export type ReclassificationOutcome =
  | { kind: 'marked'; document: ShownDocumentRow }
  | { kind: 'pending' }
  | { kind: 'trashed' }
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
    .set((eb) => ({
      status: 'uploaded',
      error: null,
      classified_at: null,
      version: eb('d.version', '+', 1),
    }))
    .where('d.id', '=', id)
    .where('d.user_id', '=', userId)
    .where('d.status', 'in', ['uploaded', 'classified', 'failed'])
    .where('d.deleted_at', 'is', null)
    .returningAll()
    .returning(duplicateOf)
    .executeTakeFirst();
  if (updated) return { kind: 'marked', document: updated };
  const existing = await findDocumentForOwner(db, userId, id);
  if (!existing) return { kind: 'missing' };
  return existing.deleted_at ? { kind: 'trashed' } : { kind: 'pending' };
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
    .where('d.user_id', '=', userId)
    .where('d.deleted_at', 'is', null);
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
