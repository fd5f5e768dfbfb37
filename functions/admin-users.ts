import type { RoutesOf } from '../lib/api/routes.js';
import { json, route, router } from '../lib/platform/http.js';
import { listUsersQuery, updateUserBody } from '../lib/schemas.js';
import { listUsers, updateUser } from '../lib/users/admin-users.js';

/** GET /api/admin/users?limit=&cursor= — every user with AI settings and quota, in id order, one page. */
const list = route({ admin: true, query: listUsersQuery }, async ({ query }) => {
  return json(200, await listUsers(query));
});

/** PATCH /api/admin/users/{id} — assign a user's AI provider/model and quota limit. */
const update = route({ admin: true, body: updateUserBody }, async ({ params, body }) => {
  return json(200, { user: await updateUser(params.id ?? '', body) });
});

export const handler = router({
  'GET /api/admin/users': list,
  'PATCH /api/admin/users/{id}': update,
} satisfies Record<RoutesOf<'admin-users'>, unknown>);
