import { ValidationError } from '../lib/errors.js';
import { json, route, zodIssues } from '../lib/http.js';
import { searchQuery } from '../lib/schemas.js';
import { searchDocuments } from '../lib/search.js';

/** GET /api/search?q=&status=&topicId=&limit=&cursor= — full-text search of the caller's documents. */
export const handler = route({}, async ({ caller, query }) => {
  const parsed = searchQuery.safeParse(query);
  if (!parsed.success) throw new ValidationError('The query string is invalid', zodIssues(parsed.error));
  return json(200, await searchDocuments(caller.userId, parsed.data));
});
