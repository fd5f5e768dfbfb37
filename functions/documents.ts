import type { RoutesOf } from '../lib/api/routes.js';
import {
  deleteDocument,
  getDocument,
  listDocuments,
  requestClassification,
} from '../lib/documents/documents.js';
import { json, noContent, route, router, uuidParam } from '../lib/platform/http.js';
import { listDocumentsQuery } from '../lib/schemas.js';

/** GET /api/documents?status=&topicId=&limit=&cursor= — the caller's documents, newest first, one page. */
const list = route({ query: listDocumentsQuery }, async ({ caller, query }) => {
  return json(200, await listDocuments(caller.userId, query));
});

/** GET /api/documents/{id} — one document, with a presigned download URL once confirmed. */
const get = route({}, async ({ caller, params }) => {
  return json(200, await getDocument(caller.userId, uuidParam(params)));
});

/** DELETE /api/documents/{id} — the object, the row and (when confirmed) the quota refund. */
const remove = route({}, async ({ caller, params }) => {
  await deleteDocument(caller.userId, uuidParam(params));
  return noContent();
});

/** POST /api/documents/{id}/classify — queue a confirmed document for classification again. */
const classify = route({}, async ({ caller, params }) => {
  return json(202, { document: await requestClassification(caller.userId, uuidParam(params)) });
});

export const handler = router({
  'GET /api/documents': list,
  'GET /api/documents/{id}': get,
  'DELETE /api/documents/{id}': remove,
  'POST /api/documents/{id}/classify': classify,
} satisfies Record<RoutesOf<'documents'>, unknown>);
