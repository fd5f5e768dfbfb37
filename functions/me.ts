import { db } from '../lib/platform/db/client.js';
import { NotFoundError } from '../lib/platform/errors.js';
import { json, route } from '../lib/platform/http.js';
import { findUserWithQuota } from '../lib/users/users.queries.js';
import { userView } from '../lib/views.js';

/** GET /api/me — who the caller is, their AI settings and their quota. */
export const handler = route({}, async ({ caller }) => {
  const user = await findUserWithQuota(db(), caller.userId);
  // route() provisions the caller's row first (lib/users/users.ts), and no route deletes users: it is missing only if
  // someone deleted it in the database between the two, and then the caller is, rightly, not found.
  if (!user) throw new NotFoundError('User not found');
  return json(200, userView(user));
});
