import { router } from '../lib/api/router.js';
import { documentJson } from '../lib/platform/http.js';
import { uploadUrlRoutes } from '../lib/uploads/uploads.contract.js';
import { createUpload, idempotencyKey } from '../lib/uploads/uploads.js';

export const handler = router(uploadUrlRoutes, {
  /** A pending document and a presigned PUT for its bytes. */
  createUploadUrl: async ({ caller, body, event }) =>
    documentJson(201, await createUpload(caller, body, idempotencyKey(event))),
});
