import { db } from '../platform/db/client.js';
import { findDocumentForOwner, topicsOfDocuments } from '../platform/db/shown-documents.js';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../platform/errors.js';
import { logger } from '../platform/logger.js';
import { enqueueNextStage } from '../platform/next-stage.js';
import { deleteDocumentsPermanently } from '../platform/permanent-delete.js';
import { type DocumentView, documentView } from './documents.contract.js';
import { thumbnailUrl } from './documents.js';
import type { BulkBody, BulkResponse, EditDocumentBody } from './edits.contract.js';
import {
  addTopicsToDocuments,
  type BulkResultRow,
  editDocument as editDocumentRow,
  markManyForReclassification,
  removeTopicsFromDocuments,
  restoreDocuments,
  trashDocuments,
  visibleTopicIds,
} from './edits.queries.js';

// docs/api.md "Editing documents, bulk actions and the trash": what PATCH, restore, the trash move and bulk call.

/** Every topic id must be one the user sees; otherwise a 400 that names them, before anything changes. */
async function checkTopics(userId: string, topicIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(topicIds)];
  const visible = await visibleTopicIds(db(), userId, unique);
  const unknown = unique.filter((id) => !visible.has(id));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Some topics do not exist or are not yours',
      unknown.map((id) => ({ path: 'topicIds', message: `unknown topic ${id}` })),
    );
  }
  return unique;
}

async function shown(documentId: string, row: Parameters<typeof documentView>[0]): Promise<DocumentView> {
  const [topics, thumbnail] = await Promise.all([topicsOfDocuments(db(), [documentId]), thumbnailUrl(row)]);
  return documentView(row, topics.get(documentId), thumbnail);
}

/** PATCH /api/documents/{id}: rename and/or set the whole set of topics, at `version` when If-Match gave one. */
export async function editDocument(
  userId: string,
  documentId: string,
  body: EditDocumentBody,
  version: number | undefined,
): Promise<DocumentView> {
  const topicIds = body.topicIds === undefined ? undefined : await checkTopics(userId, body.topicIds);
  const database = db();
  const row = await editDocumentRow(database, userId, documentId, {
    filename: body.filename,
    topicIds,
    version,
  });
  if (!row) {
    const existing = await findDocumentForOwner(database, userId, documentId);
    if (!existing) throw new NotFoundError('Document not found');
    if (existing.deleted_at) throw new ConflictError('The document is in the trash; restore it first');
    throw new PreconditionFailedError();
  }
  return shown(documentId, row);
}

/**
 * DELETE /api/documents/{id}: into the trash; a pending upload (nothing to restore) is deleted for good. An upload
 * confirmed between the two statements is no longer pending, so the second pass moves it to the trash: the caller
 * never gets a 204 for a document left in place. A document is confirmed once, so two passes always suffice.
 */
export async function trashDocument(userId: string, documentId: string): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    const [result] = await trashDocuments(db(), userId, [documentId]);
    if (!result || result.outcome === 'not_found') throw new NotFoundError('Document not found');
    if (!result.pending) return;
    const ids = [documentId];
    if ((await deleteDocumentsPermanently({ kind: 'ids', userId, ids, pendingOnly: true })).length > 0)
      return;
  }
  throw new Error('a document was pending after it had been confirmed');
}

/** POST /api/documents/{id}/restore. */
export async function restoreDocument(userId: string, documentId: string): Promise<DocumentView> {
  const [result] = await restoreDocuments(db(), userId, [documentId]);
  if (!result || result.outcome === 'not_found') throw new NotFoundError('Document not found');
  if (result.outcome === 'conflict') throw new ConflictError('The document is not in the trash');
  const row = await findDocumentForOwner(db(), userId, documentId);
  if (!row) throw new NotFoundError('Document not found');
  return shown(documentId, row);
}

/**
 * POST /api/documents/bulk: one action on every id, a constant number of statements whatever their number
 * (the topic check, the action's statement, and for some actions one more: the permanent delete of trashed pending
 * uploads, or the tombstones' cleanup after the objects are gone).
 */
export async function bulkAction(userId: string, body: BulkBody): Promise<BulkResponse> {
  const database = db();
  const ids = body.ids;
  let results: BulkResultRow[];
  switch (body.action) {
    case 'addTopics':
    case 'removeTopics': {
      const topicIds = await checkTopics(userId, body.topicIds ?? []);
      const apply = body.action === 'addTopics' ? addTopicsToDocuments : removeTopicsFromDocuments;
      results = await apply(database, userId, ids, topicIds);
      break;
    }
    case 'trash': {
      const rows = await trashDocuments(database, userId, ids);
      const pending = rows.filter((row) => row.pending).map((row) => row.id);
      const deleted = new Set(
        pending.length > 0
          ? await deleteDocumentsPermanently({ kind: 'ids', userId, ids: pending, pendingOnly: true })
          : [],
      );
      // A pending upload confirmed meanwhile was neither trashed nor deleted: a conflict, to be tried again.
      results = rows.map(({ id, outcome, pending: wasPending }) => ({
        id,
        outcome: wasPending && !deleted.has(id) ? 'conflict' : outcome,
      }));
      break;
    }
    case 'restore':
      results = await restoreDocuments(database, userId, ids);
      break;
    case 'reclassify': {
      results = await markManyForReclassification(database, userId, ids);
      // Marked `uploaded`: should a send fail, the purge's re-enqueue picks them up, as for a single reprocess.
      await enqueueNextStage(results.filter((r) => r.outcome === 'ok').map((r) => r.id));
      break;
    }
    case 'deletePermanently': {
      const deleted = new Set(await deleteDocumentsPermanently({ kind: 'ids', userId, ids }));
      results = ids.map((id) => ({ id, outcome: deleted.has(id) ? 'ok' : 'not_found' }));
      break;
    }
  }
  logger.info('bulk action', { action: body.action, ids: ids.length });
  return { results };
}
