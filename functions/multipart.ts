import { router } from '../lib/api/router.js';
import { documentJson, json, uuidParam } from '../lib/platform/http.js';
import { createMultipartUpload, signMultipartRequests } from '../lib/uploads/multipart.js';
import { multipartRoutes } from '../lib/uploads/uploads.contract.js';
import { idempotencyKey } from '../lib/uploads/uploads.js';

/** docs/api.md "Large files". */
export const handler = router(multipartRoutes, {
  createMultipartUpload: async ({ caller, body, event }) =>
    documentJson(201, await createMultipartUpload(caller, body, idempotencyKey(event))),
  signMultipartRequests: async ({ caller, params, body }) =>
    json(200, await signMultipartRequests(caller.userId, uuidParam(params), body)),
});
