import { idempotencyKey, json, route } from '../lib/platform/http.js';
import { uploadUrlBody } from '../lib/schemas.js';
import { createUpload } from '../lib/uploads/uploads.js';

/** POST /api/documents/upload-url — a pending document and a presigned PUT for its bytes. */
export const handler = route({ body: uploadUrlBody }, async ({ caller, body, event }) => {
  return json(201, await createUpload(caller, body, idempotencyKey(event)));
});
