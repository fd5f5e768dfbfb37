import type { DocumentPage } from '../documents/documents.contract.js';
import { documentViews } from '../documents/documents.js';
import { decodeDocumentCursor, encodeDocumentCursor, fetchPage } from '../platform/cursor.js';
import { db } from '../platform/db/client.js';
import { findDocumentForOwner } from '../platform/db/shown-documents.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { deleteDocumentsPermanently } from '../platform/permanent-delete.js';
import type { ListTrashQuery } from './trash.contract.js';
import { listTrashForOwner } from './trash.queries.js';

/** GET /api/trash: one page, newest deletion first (the cursor carries the deletion time where the list's has the creation time). */
export async function listTrash(userId: string, query: ListTrashQuery): Promise<DocumentPage> {
  const database = db();
  const after = query.cursor === undefined ? undefined : decodeDocumentCursor(query.cursor);
  const page = await fetchPage(
    query.limit,
    (limit) =>
      listTrashForOwner(database, userId, {
        after: after && { deletedAt: after.createdAt, id: after.id },
        limit,
      }),
    (last) => encodeDocumentCursor({ createdAt: last.cursor_deleted_at, id: last.id }),
  );
  return { documents: await documentViews(database, page.rows), nextCursor: page.nextCursor };
}

/** DELETE /api/trash/{id}: a trashed document for good; one outside the trash is a conflict (DELETE it first). */
export async function deleteFromTrash(userId: string, documentId: string): Promise<void> {
  const deleted = await deleteDocumentsPermanently({
    kind: 'ids',
    userId,
    ids: [documentId],
    trashedOnly: true,
  });
  if (deleted.length > 0) return;
  const existing = await findDocumentForOwner(db(), userId, documentId);
  if (!existing) throw new NotFoundError('Document not found');
  if (!existing.deleted_at) throw new ConflictError('The document is not in the trash');
}

/** DELETE /api/trash: everything in the caller's trash, for good. */
export async function emptyTrash(userId: string): Promise<number> {
  return (await deleteDocumentsPermanently({ kind: 'trash', userId })).length;
}
