import { type Kysely, sql } from 'kysely';
import type { Database, ShownDocumentRow } from '../platform/db/schema.js';
import { duplicateOfExpression } from '../platform/db/shown-documents.js';

/** A trashed row plus its deleted_at as text with microseconds, for the next page's cursor. */
export type TrashedDocumentRow = ShownDocumentRow & { cursor_deleted_at: string };

/**
 * The owner's trash, newest deletion first, one keyset page on (deleted_at, id): the documents_trash_idx index
 * (user_id, deleted_at desc, id desc) serves every page alike.
 */
export async function listTrashForOwner(
  db: Kysely<Database>,
  userId: string,
  page: { after?: { deletedAt: string; id: string } | undefined; limit: number },
): Promise<TrashedDocumentRow[]> {
  let query = db
    .selectFrom('documents as d')
    .selectAll('d')
    .select(duplicateOfExpression.as('duplicate_of'))
    .select(
      sql<string>`to_char(d.deleted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_deleted_at',
      ),
    )
    .where('d.user_id', '=', userId)
    .where('d.deleted_at', 'is not', null);
  if (page.after) {
    query = query.where(
      sql<boolean>`(d.deleted_at, d.id) < (${page.after.deletedAt}::timestamptz, ${page.after.id}::uuid)`,
    );
  }
  return query.orderBy('d.deleted_at', 'desc').orderBy('d.id', 'desc').limit(page.limit).execute();
}
