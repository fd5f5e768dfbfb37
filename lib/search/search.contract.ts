import * as z from 'zod/mini';
import { DOCUMENT_STATUSES, documentSchema, EXAMPLE_DOCUMENT } from '../documents/documents.contract.js';
import { pageLimitQuery, uuidQuery } from '../platform/contract.js';
import { hasNonWhitespaceControlChars } from '../platform/names.js';
import { defineRoute } from '../platform/route.js';

// Full-text search of the caller's documents (docs/api.md "Search").

/** The longest `snippet` a search result carries (lib/search/snippet.ts). */
export const SNIPPET_MAX_CHARS = 300;

export const SEARCH_QUERY_MAX = 200;

/** GET /api/search query string (docs/api.md "Search"): `q` in web search syntax, the list's filters and paging. */
export const searchQuery = z.object({
  q: z
    .string({ error: (issue) => (issue.input === undefined ? 'q is required' : 'q must be a string') })
    .check(
      z.trim(),
      z.minLength(1, 'q must not be empty'),
      z.maxLength(SEARCH_QUERY_MAX, `q must be at most ${SEARCH_QUERY_MAX} characters`),
      z.refine((q) => !hasNonWhitespaceControlChars(q), 'q must not contain control characters'),
    ),
  status: z.optional(z.enum(DOCUMENT_STATUSES)),
  topicId: uuidQuery('topicId'),
  limit: pageLimitQuery,
  cursor: z.optional(z.string()),
});
export type SearchQuery = z.infer<typeof searchQuery>;

/**
 * GET /api/search: best match first; `highlights` are [start, end) UTF-16 offsets into `snippet`. A pair is an
 * array of exactly two integers, not a JSON Schema tuple (`prefixItems`): Prism and many generators read a tuple
 * as an array with no items and reject every highlight (docs/api.md "Describing the API").
 */
export const searchResultSchema = z.object({
  document: documentSchema,
  snippet: z.string().check(z.maxLength(SNIPPET_MAX_CHARS)),
  highlights: z.array(
    z.array(z.number().check(z.int(), z.nonnegative())).check(z.minLength(2), z.maxLength(2)),
  ),
  rank: z.number(),
});

export const searchPageSchema = z.object({
  results: z.array(searchResultSchema),
  nextCursor: z.nullable(z.string()),
});
export type SearchPage = z.output<typeof searchPageSchema>;

export const searchComponents = { SearchResult: searchResultSchema, SearchPage: searchPageSchema };

/** The `search` function's route. */
export const searchRoutes = {
  searchDocuments: defineRoute({
    method: 'GET',
    path: '/api/search',
    function: 'search',
    operationId: 'searchDocuments',
    tag: 'documents',
    summary: "Full-text search of the caller's documents (their text and filename), best match first",
    description:
      '`q` is web search syntax: words, `"a phrase"`, `-word`, `or`. `snippet` is plain text around the best ' +
      'match; `highlights` are `[start, end)` offsets of the matched words in it (UTF-16 code units).',
    query: searchQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: searchPageSchema,
      example: {
        results: [
          {
            document: EXAMPLE_DOCUMENT,
            snippet: 'Invoice 2026-03 … Total due: 42 EUR, payable within 30 days',
            highlights: [[0, 7]],
            rank: 0.0607927,
          },
        ],
        nextCursor: null,
      },
    },
    errors: { 400: ['validation_error'] },
  }),
};
