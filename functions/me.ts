import { router } from '../lib/api/router.js';
import { json } from '../lib/platform/http.js';
import { meRoutes } from '../lib/users/users.contract.js';
import { getMe } from '../lib/users/users.js';

export const handler = router(meRoutes, {
  /** Who the caller is, their AI settings and their quota. */
  getMe: async ({ caller }) => json(200, await getMe(caller.userId)),
});
