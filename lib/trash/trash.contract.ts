import * as z from 'zod/mini';
import { documentIdParam, documentPageSchema, EXAMPLE_DOCUMENT } from '../documents/documents.contract.js';
import { pageLimitQuery } from '../platform/contract.js';
import { defineRoute } from '../platform/route.js';

// The trash (docs/api.md "Editing documents, bulk actions and the trash"): what it holds, and deleting from it for good.
// Moving into it (DELETE /api/documents/{id}) and restoring are the documents function's.

/** GET /api/trash query string. */
export const listTrashQuery = z.object({
  limit: pageLimitQuery,
  cursor: z.optional(z.string()),
});
export type ListTrashQuery = z.infer<typeof listTrashQuery>;

/** The `trash` function's routes. */
export const trashRoutes = {
  listTrash: defineRoute({
    method: 'GET',
    path: '/api/trash',
    function: 'trash',
    operationId: 'listTrash',
    scope: 'documents:read',
    tag: 'documents',
    summary: "The caller's trashed documents, newest deletion first, one page",
    query: listTrashQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: documentPageSchema,
      example: {
        documents: [{ ...EXAMPLE_DOCUMENT, version: 2, deletedAt: '2026-03-05T10:00:00.000Z' }],
        nextCursor: null,
      },
    },
    errors: { 400: ['validation_error'] },
  }),
  emptyTrash: defineRoute({
    method: 'DELETE',
    path: '/api/trash',
    function: 'trash',
    operationId: 'emptyTrash',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Delete everything in the trash for good, refunding the quota',
    success: { status: 204, description: 'The trash is empty' },
  }),
  deleteFromTrash: defineRoute({
    method: 'DELETE',
    path: '/api/trash/{id}',
    function: 'trash',
    operationId: 'deleteFromTrash',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Delete one trashed document for good, refunding the quota',
    params: documentIdParam,
    success: { status: 204, description: 'Deleted' },
    errors: { 404: ['not_found'], 409: ['conflict'] },
  }),
};
