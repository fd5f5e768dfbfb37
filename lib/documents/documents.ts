import { enqueueClassification } from '../platform/aws/queue.js';
import { deleteObjects, presignGet } from '../platform/aws/storage.js';
import { config } from '../platform/config.js';
import { decodeDocumentCursor, encodeDocumentCursor, fetchPage } from '../platform/cursor.js';
import { db } from '../platform/db/client.js';
import { findDocumentForOwner, topicsOfDocuments } from '../platform/db/shown-documents.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { logger } from '../platform/logger.js';
import type { DocumentPage, DocumentWithDownload, ListDocumentsQuery } from './documents.contract.js';
import { type DocumentView, documentView } from './documents.contract.js';
import {
  deleteDocumentWithRefund,
  listDocumentsForOwner,
  markForReclassification,
} from './documents.queries.js';

/** GET /api/documents: one keyset page (newest first) and its topics — two queries whatever the page size. */
export async function listDocuments(userId: string, query: ListDocumentsQuery): Promise<DocumentPage> {
  const database = db();
  const filter = {
    status: query.status,
    topicId: query.topicId,
    sha256: query.sha256,
    after: query.cursor === undefined ? undefined : decodeDocumentCursor(query.cursor),
  };
  const page = await fetchPage(
    query.limit,
    (limit) => listDocumentsForOwner(database, userId, { ...filter, limit }),
    (last) => encodeDocumentCursor({ createdAt: last.cursor_created_at, id: last.id }),
  );
  const topics = await topicsOfDocuments(
    database,
    page.rows.map((row) => row.id),
  );
  return {
    documents: page.rows.map(({ cursor_created_at: _, ...row }) => documentView(row, topics.get(row.id))),
    nextCursor: page.nextCursor,
  };
}

/** GET /api/documents/{id}: the document, and a short-lived download link once its bytes are confirmed. */
export async function getDocument(userId: string, documentId: string): Promise<DocumentWithDownload> {
  const database = db();
  const row = await findDocumentForOwner(database, userId, documentId);
  if (!row) throw new NotFoundError('Document not found');
  const topics = await topicsOfDocuments(database, [documentId]);
  // Presigning is local signing, no network call.
  const downloadUrl = row.status === 'pending' ? null : await presignGet(row.storage_key, row.filename);
  return { document: documentView(row, topics.get(documentId)), downloadUrl };
}

/**
 * DELETE /api/documents/{id}: the object first, then the row and the refund in one statement. If S3 fails the
 * database is untouched and the client may retry (503); if the database fails after S3 succeeded, the row points
 * at a missing object, which the retry deletes again harmlessly. No transaction is open during the S3 call.
 */
export async function deleteDocument(userId: string, documentId: string): Promise<void> {
  const database = db();
  const row = await findDocumentForOwner(database, userId, documentId);
  if (!row) throw new NotFoundError('Document not found');
  await deleteObjects([row.storage_key]);
  const outcome = await deleteDocumentWithRefund(
    database,
    userId,
    documentId,
    config().UPLOAD_URL_TTL_SECONDS,
  );
  // A concurrent delete may have removed the row after our read: the document is gone either way, so still 204.
  logger.info('document deleted', {
    documentId,
    deleted: outcome.deleted,
    refundedBytes: outcome.refundedBytes,
  });
}

/**
 * POST /api/documents/{id}/classify: back to `uploaded`, then enqueue. If the queue cannot be reached or throttles,
 * the client gets 503 and may retry; the document is `uploaded` either way, so the purge's re-enqueue would also
 * pick it up.
 */
export async function requestClassification(userId: string, documentId: string): Promise<DocumentView> {
  const database = db();
  const outcome = await markForReclassification(database, userId, documentId);
  if (outcome.kind === 'missing') throw new NotFoundError('Document not found');
  if (outcome.kind === 'pending') throw new ConflictError('The document has not been confirmed yet');
  await enqueueClassification(documentId);
  const topics = await topicsOfDocuments(database, [documentId]);
  return documentView(outcome.document, topics.get(documentId));
}
