import { router } from '../lib/api/router.js';
import { json } from '../lib/platform/http.js';
import { searchRoutes } from '../lib/search/search.contract.js';
import { searchDocuments } from '../lib/search/search.js';

export const handler = router(searchRoutes, {
  /** Full-text search of the caller's documents. */
  searchDocuments: async ({ caller, query }) => json(200, await searchDocuments(caller.userId, query)),
});
