import { documentView } from '../documents/documents.contract.js';
import { presignThumbnail } from '../platform/aws/storage.js';
import { decodeSearchCursor, encodeSearchCursor, fetchPage } from '../platform/cursor.js';
import { db } from '../platform/db/client.js';
import { ValidationError } from '../platform/errors.js';
import type { SearchPage, SearchQuery } from './search.contract.js';
import { indexableQuery, searchDocumentsForOwner } from './search.queries.js';
import { searchLanguage } from './search-language.js';
import { searchSnippet } from './snippet.js';

/**
 * GET /api/search: the caller's documents matching `q`, best first, then newest; one keyset page, in one query
 * (with headlines and topics). Only an empty page asks, in a second one, whether `q` had a word to look for.
 */
export async function searchDocuments(userId: string, query: SearchQuery): Promise<SearchPage> {
  const language = await searchLanguage();
  const database = db();
  const after = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor);
  const page = await fetchPage(
    query.limit,
    (limit) =>
      searchDocumentsForOwner(database, userId, {
        language,
        q: query.q,
        status: query.status,
        topicId: query.topicId,
        after,
        limit,
      }),
    (last) => encodeSearchCursor({ rank: last.cursor_rank, createdAt: last.cursor_created_at, id: last.id }),
  );
  if (page.rows.length === 0) await assertSearchable(language, query.q);
  // Presigning is local signing, no network call.
  const thumbnails = await Promise.all(
    page.rows.map((row) => (row.thumbnail_key ? presignThumbnail(row.thumbnail_key) : null)),
  );
  return {
    results: page.rows.map(
      (
        { rank, topics, cursor_rank: _r, cursor_created_at: _c, text_headline, name_headline, ...row },
        index,
      ) => ({
        document: documentView(row, topics, thumbnails[index] ?? null),
        ...searchSnippet(text_headline, name_headline),
        rank,
      }),
    ),
    nextCursor: page.nextCursor,
  };
}

/** A query with no word the index can look up is the client's mistake (400), not an empty result. */
async function assertSearchable(language: string, q: string): Promise<void> {
  const tree = await indexableQuery(db(), language, q);
  if (tree !== '' && tree !== 'T') return;
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
