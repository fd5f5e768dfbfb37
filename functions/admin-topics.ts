import type { RoutesOf } from '../lib/api/routes.js';
import { json, noContent, route, router, uuidParam } from '../lib/platform/http.js';
import { createTopicBody, updateTopicBody } from '../lib/schemas.js';
import { createTopic, deleteTopic, listSystemTopics, updateTopic } from '../lib/topics/topics.js';

// The system namespace: topics every user sees. Only admins reach these routes; a user's topic here is 404.
const SYSTEM = null;

/** GET /api/admin/topics — the system topics. */
const list = route({ admin: true }, async () => {
  return json(200, { topics: await listSystemTopics() });
});

/** POST /api/admin/topics — a new system topic; a system name already in use is 409. */
const create = route({ admin: true, body: createTopicBody }, async ({ body }) => {
  return json(201, { topic: await createTopic(SYSTEM, body) });
});

/** PATCH /api/admin/topics/{id} — rename or redescribe a system topic. */
const update = route({ admin: true, body: updateTopicBody }, async ({ params, body }) => {
  return json(200, { topic: await updateTopic(SYSTEM, uuidParam(params), body) });
});

/** DELETE /api/admin/topics/{id} — a system topic, and its place on every document. */
const remove = route({ admin: true }, async ({ params }) => {
  await deleteTopic(SYSTEM, uuidParam(params));
  return noContent();
});

export const handler = router({
  'GET /api/admin/topics': list,
  'POST /api/admin/topics': create,
  'PATCH /api/admin/topics/{id}': update,
  'DELETE /api/admin/topics/{id}': remove,
} satisfies Record<RoutesOf<'admin-topics'>, unknown>);
