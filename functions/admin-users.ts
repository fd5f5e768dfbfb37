import { router } from '../lib/api/router.js';
import { json } from '../lib/platform/http.js';
import { listUsers, updateUser } from '../lib/users/admin-users.js';
import { adminUserRoutes } from '../lib/users/users.contract.js';

export const handler = router(adminUserRoutes, {
  listUsers: async ({ query }) => json(200, await listUsers(query)),
  updateUser: async ({ params, body }) => json(200, { user: await updateUser(params.id ?? '', body) }),
});
