import { decodeSearchCursor, encodeSearchCursor } from './cursor.js';
import { db } from './db/client.js';
import { topicsOfDocuments } from './db/documents.js';
import { indexableQuery, searchDocumentsForOwner } from './db/search.js';
import { ValidationError } from './errors.js';
import type { SearchQuery, SearchResponse } from './schemas.js';
import { searchLanguage } from './search-language.js';
import { searchSnippet } from './snippet.js';
import { documentView } from './views.js';

/**
 * GET /api/search: the caller's documents matching `q`, best first, then newest; one keyset page. Three short
 * queries: is there anything to look up, the page (with its headlines), the page's topics.
 */
export async function searchDocuments(userId: string, query: SearchQuery): Promise<SearchResponse> {
  const language = await searchLanguage();
  const database = db();
  const after = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor);
  const tree = await indexableQuery(database, language, query.q);
  if (tree === '' || tree === 'T') {
    throw new ValidationError('The search query has no word to look for', [
      {
        path: 'q',
        message:
          tree === ''
            ? 'q has no searchable word (only punctuation or words too common to index)'
            : 'q only excludes words; add a word to look for',
      },
    ]);
  }
  const rows = await searchDocumentsForOwner(database, userId, {
    language,
    q: query.q,
    status: query.status,
    topicId: query.topicId,
    after,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const topics = await topicsOfDocuments(
    database,
    page.map((row) => row.id),
  );
  const last = page.at(-1);
  return {
    results: page.map(
      ({ rank, cursor_rank: _r, cursor_created_at: _c, text_headline, name_headline, ...row }) => ({
        document: documentView(row, topics.get(row.id)),
        ...searchSnippet(text_headline, name_headline),
        rank,
      }),
    ),
    nextCursor:
      rows.length > query.limit && last
        ? encodeSearchCursor({ rank: last.cursor_rank, createdAt: last.cursor_created_at, id: last.id })
        : null,
  };
}
