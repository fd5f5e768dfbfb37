import * as z from 'zod/mini';
import { AI_PROVIDERS, type AiProviderName } from '../platform/config.js';
import { byteCount, queryInt } from '../platform/contract.js';
import type { QuotaRow, UserRow } from '../platform/db/schema.js';
import { hasControlChars } from '../platform/names.js';
import { defineRoute } from '../platform/route.js';

// The caller and the users an admin manages: AI provider and model, quota (docs/api.md "API").

export const quotaSchema = z.object({ usedBytes: byteCount(), limitBytes: byteCount() });

export const userSchema = z.object({
  id: z.string(),
  email: z.nullable(z.string()),
  role: z.enum(['user', 'admin']),
  aiProvider: z.nullable(z.string()),
  aiModel: z.nullable(z.string()),
  /** The provider that files this user's documents: aiProvider, else the deployment's DEFAULT_AI_PROVIDER. */
  effectiveAiProvider: z.enum(AI_PROVIDERS),
  quota: quotaSchema,
});

export const updateUserBody = z
  .strictObject({
    aiProvider: z.optional(
      z.nullable(
        z.enum(AI_PROVIDERS, { error: `aiProvider must be one of ${AI_PROVIDERS.join(', ')}, or null` }),
      ),
    ),
    aiModel: z.optional(
      z.nullable(
        z.string({ error: 'aiModel must be a string or null' }).check(
          z.trim(),
          z.minLength(1, 'aiModel must not be empty'),
          z.maxLength(200, 'aiModel must be at most 200 characters'),
          z.refine((model) => !hasControlChars(model), 'aiModel must not contain control characters'),
        ),
      ),
    ),
    quotaLimitBytes: z.optional(
      z
        .number({ error: 'quotaLimitBytes must be a number' })
        .check(
          z.int('quotaLimitBytes must be an integer'),
          z.nonnegative('quotaLimitBytes must not be negative'),
          z.maximum(Number.MAX_SAFE_INTEGER, 'quotaLimitBytes is too large'),
        ),
    ),
  })
  .check(
    z.refine((body) => Object.values(body).some((value) => value !== undefined), {
      message: 'send at least one of aiProvider, aiModel, quotaLimitBytes',
    }),
  );
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const USERS_PAGE_MAX = 500;

export const listUsersQuery = z.object({
  limit: queryInt({
    pattern: /^\d{1,4}$/,
    digitsMessage: `limit must be an integer from 1 to ${USERS_PAGE_MAX}`,
    max: USERS_PAGE_MAX,
    maxMessage: `limit must be at most ${USERS_PAGE_MAX}`,
    fallback: 100,
  }),
  cursor: z.optional(z.string()),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;

export const userPageSchema = z.object({ users: z.array(userSchema), nextCursor: z.nullable(z.string()) });
export const userResponseSchema = z.object({ user: userSchema });

export type QuotaView = z.output<typeof quotaSchema>;
export type UserView = z.output<typeof userSchema>;
export type UserPage = z.output<typeof userPageSchema>;

export function quotaView(quota: Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>): QuotaView {
  return { usedBytes: quota.used_bytes, limitBytes: quota.limit_bytes };
}

/** The shape GET /api/me answers with; the admin user routes answer with the same. */
export function userView(
  row: UserRow & Pick<QuotaRow, 'used_bytes' | 'limit_bytes'>,
  defaultProvider: AiProviderName,
): UserView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    aiProvider: row.ai_provider,
    aiModel: row.ai_model,
    effectiveAiProvider: effectiveProvider(row.ai_provider, defaultProvider),
    quota: quotaView(row),
  };
}

/** A provider name stored before a provider was renamed or removed is not in effect: the default is. */
function effectiveProvider(stored: string | null, defaultProvider: AiProviderName): AiProviderName {
  return (AI_PROVIDERS as readonly string[]).includes(stored ?? '')
    ? (stored as AiProviderName)
    : defaultProvider;
}

export const userComponents = {
  Quota: quotaSchema,
  User: userSchema,
  UserPage: userPageSchema,
  UserResponse: userResponseSchema,
};
export const userRequestComponents = { UpdateUserRequest: updateUserBody };

export const EXAMPLE_QUOTA = { usedBytes: 48213, limitBytes: 1073741824 };
const EXAMPLE_USER = {
  id: 'alice',
  email: 'alice@example.com',
  role: 'user',
  aiProvider: null,
  aiModel: null,
  effectiveAiProvider: 'ollama',
  quota: EXAMPLE_QUOTA,
};

/** The `me` function's route. */
export const meRoutes = {
  getMe: defineRoute({
    method: 'GET',
    path: '/api/me',
    function: 'me',
    operationId: 'getMe',
    scope: 'any',
    tag: 'me',
    summary: 'The caller: id, email, role, AI settings and quota',
    success: { status: 200, description: 'The caller', schema: userSchema, example: EXAMPLE_USER },
    errors: { 404: ['not_found'] },
  }),
};

/** The `admin-users` function's routes. */
export const adminUserRoutes = {
  listUsers: defineRoute({
    method: 'GET',
    path: '/api/admin/users',
    function: 'admin-users',
    operationId: 'listUsers',
    scope: 'admin',
    tag: 'admin',
    admin: true,
    summary: 'Every user with AI settings and quota, in id order, one page',
    query: listUsersQuery,
    success: {
      status: 200,
      description: 'One page; `nextCursor` fetches the next, null on the last',
      schema: userPageSchema,
      example: { users: [EXAMPLE_USER], nextCursor: null },
    },
    errors: { 400: ['validation_error'] },
  }),
  updateUser: defineRoute({
    method: 'PATCH',
    path: '/api/admin/users/{id}',
    function: 'admin-users',
    operationId: 'updateUser',
    scope: 'admin',
    tag: 'admin',
    admin: true,
    summary: "Set a user's AI provider and model (null: the configured default) and quota limit",
    params: {
      id: { description: "The user id (the token's `sub`)", schema: z.string().check(z.minLength(1)) },
    },
    body: {
      schema: updateUserBody,
      example: { aiProvider: 'openai', aiModel: 'gpt-4o-mini', quotaLimitBytes: 5368709120 },
    },
    success: {
      status: 200,
      description: 'The user as they are now',
      schema: userResponseSchema,
      example: {
        user: {
          ...EXAMPLE_USER,
          aiProvider: 'openai',
          aiModel: 'gpt-4o-mini',
          effectiveAiProvider: 'openai',
          quota: { ...EXAMPLE_QUOTA, limitBytes: 5368709120 },
        },
      },
    },
    errors: { 400: ['validation_error'], 404: ['not_found'] },
  }),
};
