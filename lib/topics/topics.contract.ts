import * as z from 'zod/mini';
import { uuidPathParam } from '../platform/contract.js';
import type { TopicRow } from '../platform/db/schema.js';
import { checkTopicName, hasNonWhitespaceControlChars } from '../platform/names.js';
import { defineRoute } from '../platform/route.js';

// Topics: the caller's own and the system's, which admins manage (docs/api.md "API").

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be a string`;

/** A topic name as a client sends it: validated strictly, then normalised by the one normalisation (lib/platform/names.ts). */
export const topicNameSchema = z.pipe(
  z.string({ error: required('name') }),
  z.transform((value: string, ctx) => {
    const check = checkTopicName(value);
    if (check.ok) return check.name;
    ctx.issues.push({ code: 'custom', message: check.message, input: value });
    return z.NEVER;
  }),
);

export const TOPIC_DESCRIPTION_MAX = 500;

/** Optional free text: trimmed; blank or null clears it. Newlines and tabs are fine, other control characters not. */
export const topicDescriptionSchema = z.nullable(
  z.pipe(
    z.string({ error: 'description must be a string or null' }).check(
      z.trim(),
      z.maxLength(TOPIC_DESCRIPTION_MAX, `description must be at most ${TOPIC_DESCRIPTION_MAX} characters`),
      z.refine(
        (text) => !hasNonWhitespaceControlChars(text),
        'description must not contain control characters',
      ),
    ),
    z.transform((text: string) => (text === '' ? null : text)),
  ),
);

export const createTopicBody = z.strictObject({
  name: topicNameSchema,
  description: z.optional(topicDescriptionSchema),
});
export type CreateTopicBody = z.infer<typeof createTopicBody>;

export const updateTopicBody = z
  .strictObject({
    name: z.optional(topicNameSchema),
    description: z.optional(topicDescriptionSchema),
  })
  .check(
    z.refine((body) => body.name !== undefined || body.description !== undefined, {
      message: 'send at least one of name, description',
    }),
  );
export type UpdateTopicBody = z.infer<typeof updateTopicBody>;

export const topicSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.nullable(z.string()),
  scope: z.enum(['system', 'user']),
});
export const topicListSchema = z.object({ topics: z.array(topicSchema) });
export const topicResponseSchema = z.object({ topic: topicSchema });

export type TopicView = z.output<typeof topicSchema>;

export function topicView(row: Pick<TopicRow, 'id' | 'user_id' | 'name' | 'description'>): TopicView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    scope: row.user_id === null ? 'system' : 'user',
  };
}

export const topicComponents = {
  Topic: topicSchema,
  TopicList: topicListSchema,
  TopicResponse: topicResponseSchema,
};
export const topicRequestComponents = {
  CreateTopicRequest: createTopicBody,
  UpdateTopicRequest: updateTopicBody,
};

const EXAMPLE_TOPIC = {
  id: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  name: 'Receipts',
  description: 'Shop and restaurant receipts',
  scope: 'user',
};
const EXAMPLE_SYSTEM_TOPIC = { ...EXAMPLE_TOPIC, name: 'Finance', description: null, scope: 'system' };
const topicIdParam = uuidPathParam('The topic id');
const TOPIC_ERRORS = { 403: ['forbidden'], 404: ['not_found'] } as const;

/** The `topics` function's routes: the caller's own topics. */
export const topicRoutes = {
  listTopics: defineRoute({
    method: 'GET',
    path: '/api/topics',
    function: 'topics',
    operationId: 'listTopics',
    tag: 'topics',
    summary: "System topics and the caller's own; an own topic overrides a system one of the same name",
    success: {
      status: 200,
      description: 'Every topic the caller sees',
      schema: topicListSchema,
      example: {
        topics: [{ ...EXAMPLE_SYSTEM_TOPIC, id: '8a6e0f0c-1b2d-4c3e-8f4a-5b6c7d8e9f01' }, EXAMPLE_TOPIC],
      },
    },
  }),
  createTopic: defineRoute({
    method: 'POST',
    path: '/api/topics',
    function: 'topics',
    operationId: 'createTopic',
    tag: 'topics',
    summary: "Create a topic in the caller's namespace",
    body: {
      schema: createTopicBody,
      example: { name: 'Receipts', description: 'Shop and restaurant receipts' },
    },
    success: {
      status: 201,
      description: 'The new topic',
      schema: topicResponseSchema,
      example: { topic: EXAMPLE_TOPIC },
    },
    errors: { 400: ['validation_error'], 409: ['conflict'] },
  }),
  updateTopic: defineRoute({
    method: 'PATCH',
    path: '/api/topics/{id}',
    function: 'topics',
    operationId: 'updateTopic',
    tag: 'topics',
    summary: "Rename or redescribe one of the caller's topics (a system topic is 403)",
    params: topicIdParam,
    body: { schema: updateTopicBody, example: { description: 'Receipts for tax returns' } },
    success: {
      status: 200,
      description: 'The topic as it is now',
      schema: topicResponseSchema,
      example: { topic: { ...EXAMPLE_TOPIC, description: 'Receipts for tax returns' } },
    },
    errors: { 400: ['validation_error'], ...TOPIC_ERRORS, 409: ['conflict'] },
  }),
  deleteTopic: defineRoute({
    method: 'DELETE',
    path: '/api/topics/{id}',
    function: 'topics',
    operationId: 'deleteTopic',
    tag: 'topics',
    summary: "Delete one of the caller's topics, and its place on every document",
    params: topicIdParam,
    success: { status: 204, description: 'Deleted' },
    errors: TOPIC_ERRORS,
  }),
};

/** The `admin-topics` function's routes: the system topics every user sees. */
export const adminTopicRoutes = {
  listSystemTopics: defineRoute({
    method: 'GET',
    path: '/api/admin/topics',
    function: 'admin-topics',
    operationId: 'listSystemTopics',
    tag: 'admin',
    admin: true,
    summary: 'The system topics every user sees',
    success: {
      status: 200,
      description: 'The system topics',
      schema: topicListSchema,
      example: { topics: [EXAMPLE_SYSTEM_TOPIC] },
    },
  }),
  createSystemTopic: defineRoute({
    method: 'POST',
    path: '/api/admin/topics',
    function: 'admin-topics',
    operationId: 'createSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Create a system topic',
    body: { schema: createTopicBody, example: { name: 'Finance' } },
    success: {
      status: 201,
      description: 'The new system topic',
      schema: topicResponseSchema,
      example: { topic: EXAMPLE_SYSTEM_TOPIC },
    },
    errors: { 400: ['validation_error'], 409: ['conflict'] },
  }),
  updateSystemTopic: defineRoute({
    method: 'PATCH',
    path: '/api/admin/topics/{id}',
    function: 'admin-topics',
    operationId: 'updateSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Rename or redescribe a system topic',
    params: topicIdParam,
    body: { schema: updateTopicBody, example: { name: 'Money' } },
    success: {
      status: 200,
      description: 'The system topic as it is now',
      schema: topicResponseSchema,
      example: { topic: { ...EXAMPLE_SYSTEM_TOPIC, name: 'Money' } },
    },
    errors: { 400: ['validation_error'], 404: ['not_found'], 409: ['conflict'] },
  }),
  deleteSystemTopic: defineRoute({
    method: 'DELETE',
    path: '/api/admin/topics/{id}',
    function: 'admin-topics',
    operationId: 'deleteSystemTopic',
    tag: 'admin',
    admin: true,
    summary: 'Delete a system topic, and its place on every document',
    params: topicIdParam,
    success: { status: 204, description: 'Deleted' },
    errors: { 404: ['not_found'] },
  }),
};
