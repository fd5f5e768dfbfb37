import { db } from './db/client.js';
import { markForReclassification, topicsOfDocuments } from './db/documents.js';
import { ConflictError, NotFoundError } from './errors.js';
import { enqueueClassification } from './queue.js';
import { type DocumentView, documentView } from './views.js';

/**
 * POST /api/documents/{id}/classify: back to `uploaded`, then enqueue. If the enqueue fails the client gets 503
 * and may retry; the document is `uploaded` either way, so the purge's re-enqueue would also pick it up.
 */
export async function reprocessDocument(userId: string, documentId: string): Promise<DocumentView> {
  const outcome = await markForReclassification(db(), userId, documentId);
  if (outcome.kind === 'missing') throw new NotFoundError('Document not found');
  if (outcome.kind === 'pending') throw new ConflictError('The document has not been confirmed yet');
  await enqueueClassification(documentId);
  const topics = await topicsOfDocuments(db(), [documentId]);
  return documentView(outcome.document, topics.get(documentId) ?? []);
}
