import { router } from '../lib/api/router.js';
import { documentRoutes } from '../lib/documents/documents.contract.js';
import {
  deleteDocumentPermanently,
  getDocument,
  listDocuments,
  requestClassification,
} from '../lib/documents/documents.js';
import { editRoutes } from '../lib/documents/edits.contract.js';
import { bulkAction, editDocument, restoreDocument, trashDocument } from '../lib/documents/edits.js';
import { documentJson, ifMatchVersion, json, noContent, uuidParam } from '../lib/platform/http.js';

export const handler = router(
  { ...documentRoutes, ...editRoutes },
  {
    listDocuments: async ({ caller, query }) => json(200, await listDocuments(caller.userId, query)),
    getDocument: async ({ caller, params }) =>
      documentJson(200, await getDocument(caller.userId, uuidParam(params))),
    /** Into the trash; with permanent=true, the object, the row and (when confirmed) the quota refund. */
    deleteDocument: async ({ caller, params, query }) => {
      const id = uuidParam(params);
      if (query.permanent === 'true') await deleteDocumentPermanently(caller.userId, id);
      else await trashDocument(caller.userId, id);
      return noContent();
    },
    reclassifyDocument: async ({ caller, params }) => {
      const document = await requestClassification(caller.userId, uuidParam(params));
      return documentJson(202, { document });
    },
    editDocument: async ({ caller, params, body, event }) => {
      const version = ifMatchVersion(event);
      const document = await editDocument(caller.userId, uuidParam(params), body, version);
      return documentJson(200, { document });
    },
    restoreDocument: async ({ caller, params }) => {
      const document = await restoreDocument(caller.userId, uuidParam(params));
      return documentJson(200, { document });
    },
    bulkDocuments: async ({ caller, body }) => json(200, await bulkAction(caller.userId, body)),
  },
);
