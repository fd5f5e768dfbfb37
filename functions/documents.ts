import { router } from '../lib/api/router.js';
import { documentRoutes } from '../lib/documents/documents.contract.js';
import {
  deleteDocument,
  getDocument,
  listDocuments,
  requestClassification,
} from '../lib/documents/documents.js';
import { json, noContent, uuidParam } from '../lib/platform/http.js';

export const handler = router(documentRoutes, {
  listDocuments: async ({ caller, query }) => json(200, await listDocuments(caller.userId, query)),
  getDocument: async ({ caller, params }) => json(200, await getDocument(caller.userId, uuidParam(params))),
  /** The object, the row and (when confirmed) the quota refund. */
  deleteDocument: async ({ caller, params }) => {
    await deleteDocument(caller.userId, uuidParam(params));
    return noContent();
  },
  reclassifyDocument: async ({ caller, params }) =>
    json(202, { document: await requestClassification(caller.userId, uuidParam(params)) }),
});
