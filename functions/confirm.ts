import { json, route, uuidParam } from '../lib/http.js';
import { confirmUpload } from '../lib/uploads.js';

/** POST /api/documents/{id}/confirm — count the uploaded bytes against the quota and queue classification. */
export const handler = route({}, async ({ caller, params }) => {
  return json(200, await confirmUpload(caller.userId, uuidParam(params)));
});
