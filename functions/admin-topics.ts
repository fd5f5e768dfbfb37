import { router } from '../lib/api/router.js';
import { json, noContent, uuidParam } from '../lib/platform/http.js';
import { adminTopicRoutes } from '../lib/topics/topics.contract.js';
import { createTopic, deleteTopic, listSystemTopics, updateTopic } from '../lib/topics/topics.js';

// The system namespace: topics every user sees. Only admins reach these routes; a user's topic here is 404.
const SYSTEM = null;

export const handler = router(adminTopicRoutes, {
  listSystemTopics: async () => json(200, { topics: await listSystemTopics() }),
  createSystemTopic: async ({ body }) => json(201, { topic: await createTopic(SYSTEM, body) }),
  updateSystemTopic: async ({ params, body }) =>
    json(200, { topic: await updateTopic(SYSTEM, uuidParam(params), body) }),
  deleteSystemTopic: async ({ params }) => {
    await deleteTopic(SYSTEM, uuidParam(params));
    return noContent();
  },
});
