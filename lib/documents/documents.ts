import type { Kysely } from 'kysely';
import { enqueue } from '../platform/aws/queue.js';
import { presignGet, presignPreview, presignThumbnail } from '../platform/aws/storage.js';
import { decodeDocumentCursor, encodeDocumentCursor, fetchPage } from '../platform/cursor.js';
import { db } from '../platform/db/client.js';
import type { Database, ShownDocumentRow } from '../platform/db/schema.js';
import { findDocumentForOwner, topicsOfDocuments } from '../platform/db/shown-documents.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { deleteDocumentsPermanently } from '../platform/permanent-delete.js';
import type { DocumentPage, DocumentWithDownload, ListDocumentsQuery } from './documents.contract.js';
import { type DocumentView, documentView } from './documents.contract.js';
import { listDocumentsForOwner, markForReclassification } from './documents.queries.js';

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
  return { documents: await documentViews(database, page.rows), nextCursor: page.nextCursor };
}

/** Rows of a page as the API shows them, each with its topics (one query for the page) and thumbnail URL. */
export async function documentViews(database: Kysely<Database>, rows: readonly ShownDocumentRow[]) {
  const [topics, thumbnails] = await Promise.all([
    topicsOfDocuments(
      database,
      rows.map((row) => row.id),
    ),
    Promise.all(rows.map(thumbnailUrl)),
  ]);
  return rows.map((row, index) => documentView(row, topics.get(row.id), thumbnails[index] ?? null));
}

/** The row's thumbnail as a presigned GET (local signing, no network call); null when it has none. */
export function thumbnailUrl(row: Pick<ShownDocumentRow, 'thumbnail_key'>): Promise<string | null> {
  return row.thumbnail_key ? presignThumbnail(row.thumbnail_key) : Promise.resolve(null);
}

/** Types a browser shows itself, and the Content-Type a preview is served with (never the client's own string). */
const PREVIEW_TYPES = new Map([
  ['application/pdf', 'application/pdf'],
  ['image/png', 'image/png'],
  ['image/jpeg', 'image/jpeg'],
  ['image/webp', 'image/webp'],
  ['image/tiff', 'image/tiff'],
  ['image/gif', 'image/gif'],
  ['text/plain', 'text/plain; charset=utf-8'],
]);

/** GET /api/documents/{id}'s previewUrl (docs/api.md "Text from scans and photos (OCR) and previews"): inline, PDFs, images and text/plain. */
function previewUrl(row: ShownDocumentRow): Promise<string | null> {
  const type = PREVIEW_TYPES.get(row.content_type.split(';')[0]?.trim().toLowerCase() ?? '');
  if (row.status === 'pending' || !type) return Promise.resolve(null);
  return presignPreview(row.storage_key, row.filename, type);
}

/** GET /api/documents/{id}: the document, and a short-lived download link once its bytes are confirmed. */
export async function getDocument(userId: string, documentId: string): Promise<DocumentWithDownload> {
  const database = db();
  const row = await findDocumentForOwner(database, userId, documentId);
  if (!row) throw new NotFoundError('Document not found');
  const topics = await topicsOfDocuments(database, [documentId]);
  // Presigning is local signing, no network call.
  const [downloadUrl, preview, thumbnail] = await Promise.all([
    row.status === 'pending' ? null : presignGet(row.storage_key, row.filename),
    previewUrl(row),
    thumbnailUrl(row),
  ]);
  return { document: documentView(row, topics.get(documentId), thumbnail), downloadUrl, previewUrl: preview };
}

/**
 * DELETE /api/documents/{id}?permanent=true: the row, the refund and a tombstone for the key in one statement,
 * then the object (lib/platform/permanent-delete.ts): atomic and once, also when calls race, and when S3 is down
 * the purge deletes the object later. A document already gone is a 404.
 */
export async function deleteDocumentPermanently(userId: string, documentId: string): Promise<void> {
  const deleted = await deleteDocumentsPermanently({ kind: 'ids', userId, ids: [documentId] });
  if (deleted.length === 0) throw new NotFoundError('Document not found');
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
  if (outcome.kind === 'trashed') throw new ConflictError('The document is in the trash; restore it first');
  // Classification again; extraction first when it has not run on this document (docs/operations.md "Text from scans and photos").
  await enqueue(outcome.document.text_source === null ? 'extract' : 'classify', documentId);
  const [topics, thumbnail] = await Promise.all([
    topicsOfDocuments(database, [documentId]),
    thumbnailUrl(outcome.document),
  ]);
  return documentView(outcome.document, topics.get(documentId), thumbnail);
}
