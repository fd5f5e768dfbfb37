import { router } from '../lib/api/router.js';
import { json, noContent, uuidParam } from '../lib/platform/http.js';
import { topicRoutes } from '../lib/topics/topics.contract.js';
import { createTopic, deleteTopic, listVisibleTopics, updateTopic } from '../lib/topics/topics.js';

export const handler = router(topicRoutes, {
  listTopics: async ({ caller }) => json(200, { topics: await listVisibleTopics(caller.userId) }),
  createTopic: async ({ caller, body }) => json(201, { topic: await createTopic(caller.userId, body) }),
  updateTopic: async ({ caller, params, body }) =>
    json(200, { topic: await updateTopic(caller.userId, uuidParam(params), body) }),
  /** One of the caller's topics, and its place on every document. */
  deleteTopic: async ({ caller, params }) => {
    await deleteTopic(caller.userId, uuidParam(params));
    return noContent();
  },
});
