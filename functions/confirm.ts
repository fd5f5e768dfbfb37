import { json, route, uuidParam } from '../lib/platform/http.js';
import { confirmUpload } from '../lib/uploads/uploads.js';

/** POST /api/documents/{id}/confirm — count the uploaded bytes against the quota and queue classification. */
export const handler = route({}, async ({ caller, params }) => {
  return json(200, await confirmUpload(caller.userId, uuidParam(params)));
});
