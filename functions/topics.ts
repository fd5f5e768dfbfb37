import type { RoutesOf } from '../lib/api/routes.js';
import { json, noContent, route, router, uuidParam } from '../lib/platform/http.js';
import { createTopicBody, updateTopicBody } from '../lib/schemas.js';
import { createTopic, deleteTopic, listVisibleTopics, updateTopic } from '../lib/topics/topics.js';

/** GET /api/topics — system topics and the caller's own, the caller's overriding system ones of the same name. */
const list = route({}, async ({ caller }) => {
  return json(200, { topics: await listVisibleTopics(caller.userId) });
});

/** POST /api/topics — a topic in the caller's namespace; a name they already use is 409. */
const create = route({ body: createTopicBody }, async ({ caller, body }) => {
  return json(201, { topic: await createTopic(caller.userId, body) });
});

/** PATCH /api/topics/{id} — rename or redescribe one of the caller's topics; a system topic is 403. */
const update = route({ body: updateTopicBody }, async ({ caller, params, body }) => {
  return json(200, { topic: await updateTopic(caller.userId, uuidParam(params), body) });
});

/** DELETE /api/topics/{id} — one of the caller's topics, and its place on every document. */
const remove = route({}, async ({ caller, params }) => {
  await deleteTopic(caller.userId, uuidParam(params));
  return noContent();
});

export const handler = router({
  'GET /api/topics': list,
  'POST /api/topics': create,
  'PATCH /api/topics/{id}': update,
  'DELETE /api/topics/{id}': remove,
} satisfies Record<RoutesOf<'topics'>, unknown>);
