import * as z from 'zod/mini';
import { defineRoute } from '../platform/route.js';
import {
  documentIdParam,
  documentResponseSchema,
  EXAMPLE_DOCUMENT,
  filenameSchema,
  versionEtag,
} from './documents.contract.js';

// Editing documents and bulk actions (docs/api.md "Editing documents, bulk actions and the trash"): the `documents`
// function serves these routes beside the ones of documents.contract.ts.

const lowerUuid = z.pipe(
  z.uuid(),
  z.transform((id: string) => id.toLowerCase()),
);
const topicIdsSchema = z.array(lowerUuid).check(z.maxLength(100, 'topicIds may list at most 100 topics'));

/** PATCH /api/documents/{id}: the new name and/or the whole new set of topics; at least one of them. */
export const editDocumentBody = z
  .strictObject({
    filename: z.optional(filenameSchema),
    topicIds: z.optional(topicIdsSchema),
  })
  .check(
    z.refine((body) => body.filename !== undefined || body.topicIds !== undefined, {
      message: 'Give filename, topicIds or both',
    }),
  );
export type EditDocumentBody = z.infer<typeof editDocumentBody>;

export const BULK_ACTIONS = [
  'addTopics',
  'removeTopics',
  'trash',
  'restore',
  'reclassify',
  'deletePermanently',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
export const BULK_MAX_IDS = 100;

/** POST /api/documents/bulk. */
export const bulkBody = z
  .strictObject({
    ids: z
      .array(lowerUuid)
      .check(
        z.minLength(1, 'ids must list at least one document'),
        z.maxLength(BULK_MAX_IDS, `ids may list at most ${BULK_MAX_IDS} documents`),
      ),
    action: z.enum(BULK_ACTIONS),
    /** Required for addTopics and removeTopics, and only for them. */
    topicIds: z.optional(topicIdsSchema.check(z.minLength(1, 'topicIds must list at least one topic'))),
  })
  .check(
    z.refine(
      (body) =>
        (body.action === 'addTopics' || body.action === 'removeTopics') === (body.topicIds !== undefined),
      {
        message: 'topicIds is required for addTopics and removeTopics, and only for them',
        path: ['topicIds'],
      },
    ),
  );
export type BulkBody = z.infer<typeof bulkBody>;

export const bulkResultSchema = z.object({
  id: z.uuid(),
  /** ok: done (or already so); not_found: no such document of yours; conflict: not possible in its state. */
  outcome: z.enum(['ok', 'not_found', 'conflict']),
});
export const bulkResponseSchema = z.object({ results: z.array(bulkResultSchema) });
export type BulkResponse = z.output<typeof bulkResponseSchema>;

export const editRequestComponents = {
  EditDocumentRequest: editDocumentBody,
  BulkRequest: bulkBody,
};

export const editComponents = {
  BulkResult: bulkResultSchema,
  BulkResponse: bulkResponseSchema,
};

export const editRoutes = {
  editDocument: defineRoute({
    method: 'PATCH',
    path: '/api/documents/{id}',
    function: 'documents',
    operationId: 'editDocument',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Rename a document and/or set its whole set of topics',
    description:
      'Topics set here are `source: "user"`; a topic taken off is remembered, and classification never puts it back. ' +
      'With `If-Match: "<version>"` the edit is made only if the document is still at that version (412 otherwise).',
    params: documentIdParam,
    headers: {
      'If-Match': {
        description: 'The ETag the client read ("3"): answer 412 if the document changed since',
        schema: z.string(),
      },
    },
    body: {
      schema: editDocumentBody,
      example: { filename: 'invoice-2026-03.pdf', topicIds: ['8a6e0f0c-1b2d-4c3e-8f4a-5b6c7d8e9f01'] },
    },
    success: {
      status: 200,
      description: 'The edited document',
      schema: documentResponseSchema,
      example: {
        document: {
          ...EXAMPLE_DOCUMENT,
          version: 2,
          topics: [{ ...EXAMPLE_DOCUMENT.topics[0], source: 'user' }],
        },
      },
      headers: versionEtag,
    },
    errors: {
      400: ['validation_error'],
      404: ['not_found'],
      409: ['conflict'],
      412: ['precondition_failed'],
    },
  }),
  restoreDocument: defineRoute({
    method: 'POST',
    path: '/api/documents/{id}/restore',
    function: 'documents',
    operationId: 'restoreDocument',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'Take a document out of the trash',
    params: documentIdParam,
    success: {
      status: 200,
      description: 'The restored document',
      schema: documentResponseSchema,
      example: { document: { ...EXAMPLE_DOCUMENT, version: 3 } },
      headers: versionEtag,
    },
    errors: { 404: ['not_found'], 409: ['conflict'] },
  }),
  bulkDocuments: defineRoute({
    method: 'POST',
    path: '/api/documents/bulk',
    function: 'documents',
    operationId: 'bulkDocuments',
    scope: 'documents:write',
    tag: 'documents',
    summary: 'One action on up to 100 documents, each id answered',
    description:
      "Another user's id is `not_found`; one id that cannot be acted on never blocks the rest. " +
      'trash of a pending upload deletes it for good (there is nothing to restore).',
    body: {
      schema: bulkBody,
      example: {
        ids: ['3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b'],
        action: 'addTopics',
        topicIds: ['8a6e0f0c-1b2d-4c3e-8f4a-5b6c7d8e9f01'],
      },
    },
    success: {
      status: 200,
      description: 'One result per id, in the order given',
      schema: bulkResponseSchema,
      example: { results: [{ id: '3f2b8c1e-7d4a-4e0b-9a61-2c5d8e9f0a1b', outcome: 'ok' }] },
    },
    errors: { 400: ['validation_error'] },
  }),
};
