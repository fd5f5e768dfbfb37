import type { RoutesOf } from '../lib/api/routes.js';
import { idempotencyKey, json, route, router, uuidParam } from '../lib/platform/http.js';
import { multipartBody, multipartSignBody } from '../lib/schemas.js';
import { createMultipartUpload, signMultipartRequests } from '../lib/uploads/multipart.js';

/** POST /api/documents/multipart and POST /api/documents/{id}/multipart/sign (README "Large files"). */
export const handler = router({
  'POST /api/documents/multipart': route({ body: multipartBody }, async ({ caller, body, event }) => {
    return json(201, await createMultipartUpload(caller, body, idempotencyKey(event)));
  }),
  'POST /api/documents/{id}/multipart/sign': route(
    { body: multipartSignBody },
    async ({ caller, params, body }) => {
      return json(200, await signMultipartRequests(caller.userId, uuidParam(params), body));
    },
  ),
} satisfies Record<RoutesOf<'multipart'>, unknown>);
