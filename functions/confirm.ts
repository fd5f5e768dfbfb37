import { router } from '../lib/api/router.js';
import { documentJson, uuidParam } from '../lib/platform/http.js';
import { confirmRoutes } from '../lib/uploads/uploads.contract.js';
import { confirmUpload } from '../lib/uploads/uploads.js';

export const handler = router(confirmRoutes, {
  /** Count the uploaded bytes against the quota and queue classification. */
  confirmUpload: async ({ caller, params }) =>
    documentJson(200, await confirmUpload(caller.userId, uuidParam(params))),
});
