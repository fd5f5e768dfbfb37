import { router } from '../lib/api/router.js';
import { db } from '../lib/platform/db/client.js';
import { NotFoundError } from '../lib/platform/errors.js';
import { json } from '../lib/platform/http.js';
import { meRoutes, userView } from '../lib/users/users.contract.js';
import { findUserWithQuota } from '../lib/users/users.queries.js';

export const handler = router(meRoutes, {
  /** Who the caller is, their AI settings and their quota. */
  getMe: async ({ caller }) => {
    const user = await findUserWithQuota(db(), caller.userId);
    // The router provisions the caller's row first (lib/users/users.ts), and no route deletes users: it is missing
    // only if someone deleted it in the database between the two, and then the caller is, rightly, not found.
    if (!user) throw new NotFoundError('User not found');
    return json(200, userView(user));
  },
});
