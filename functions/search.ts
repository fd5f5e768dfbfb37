import { json, route } from '../lib/platform/http.js';
import { searchQuery } from '../lib/schemas.js';
import { searchDocuments } from '../lib/search/search.js';

/** GET /api/search?q=&status=&topicId=&limit=&cursor= — full-text search of the caller's documents. */
export const handler = route({ query: searchQuery }, async ({ caller, query }) => {
  return json(200, await searchDocuments(caller.userId, query));
});
