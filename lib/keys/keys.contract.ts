import * as z from 'zod/mini';
import { dateTime, uuidPathParam } from '../platform/contract.js';
import type { ApiKeyRow } from '../platform/db/schema.js';
import { hasControlChars } from '../platform/names.js';
import { API_KEY_SCOPES, type ApiKeyScope, defineRoute } from '../platform/route.js';

// API keys (docs/api.md "API keys"): a credential for scripts, the CLI and integrations, scoped, revocable, and shown
// once: the database keeps only its SHA-256 and its first 8 characters.

export const KEY_NAME_MAX = 100;
/** Keys one user may hold at once: GET /api/keys answers them all in one page. */
export const KEYS_PER_USER_MAX = 100;

const scopeSchema = z.enum(API_KEY_SCOPES, {
  error: `each scope must be one of ${API_KEY_SCOPES.join(', ')}`,
});

export const createKeyBody = z.strictObject({
  name: z.string({ error: 'name must be a string' }).check(
    z.trim(),
    z.minLength(1, 'name must not be empty'),
    z.maxLength(KEY_NAME_MAX, `name must be at most ${KEY_NAME_MAX} characters`),
    z.refine((name) => !hasControlChars(name), 'name must not contain control characters'),
  ),
  scopes: z.array(scopeSchema, { error: 'scopes must be an array' }).check(
    z.minLength(1, 'scopes must name at least one scope'),
    z.refine((scopes) => new Set(scopes).size === scopes.length, 'scopes must not repeat a scope'),
  ),
  // null, as answers show a key that never expires, means the same as leaving it out.
  expiresAt: z.optional(
    z.nullable(
      z.iso
        .datetime({ offset: true, error: 'expiresAt must be an ISO 8601 date-time or null' })
        .check(z.refine((at) => Date.parse(at) > Date.now(), 'expiresAt must be in the future')),
    ),
  ),
});
export type CreateKeyBody = z.infer<typeof createKeyBody>;

export const keySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  /** The secret's first 8 characters, to recognise it by. */
  prefix: z.string(),
  createdAt: dateTime(),
  expiresAt: z.nullable(dateTime()),
  lastUsedAt: z.nullable(dateTime()),
});
export const createdKeySchema = z.object({ key: keySchema, secret: z.string() });
export const keyListSchema = z.object({ keys: z.array(keySchema) });

export type KeyView = z.output<typeof keySchema>;

export function keyView(
  row: Pick<ApiKeyRow, 'id' | 'name' | 'scopes' | 'prefix' | 'created_at' | 'expires_at' | 'last_used_at'>,
): KeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as ApiKeyScope[],
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

export const keyComponents = {
  ApiKey: keySchema,
  CreatedApiKey: createdKeySchema,
  ApiKeyList: keyListSchema,
};
export const keyRequestComponents = { CreateApiKeyRequest: createKeyBody };

const EXAMPLE_KEY = {
  id: '0b7e6c1e-2f4a-4d8b-9c3e-5a6f7b8c9d0e',
  name: 'scanner cron job',
  scopes: ['documents:read', 'documents:write'],
  prefix: 'kite_4Jq',
  createdAt: '2026-12-04T08:00:00.000Z',
  expiresAt: '2027-12-04T08:00:00.000Z',
  lastUsedAt: null,
};
const SESSION_ONLY =
  'Needs a signed-in session (a JWT): an API key cannot create, list or revoke keys (403 `forbidden`).';

/** The `keys` function's routes. */
export const keyRoutes = {
  createKey: defineRoute({
    method: 'POST',
    path: '/api/keys',
    function: 'keys',
    operationId: 'createKey',
    scope: 'session',
    tag: 'keys',
    summary: 'Create an API key; its secret is in this answer and never again',
    description: `${SESSION_ONLY} Only an admin can give a key the \`admin\` scope (403 otherwise).`,
    body: {
      schema: createKeyBody,
      example: {
        name: 'scanner cron job',
        scopes: ['documents:read', 'documents:write'],
        expiresAt: '2027-12-04T08:00:00Z',
      },
    },
    success: {
      status: 201,
      description: 'The key, and its secret (`kite_…`): store it now, it is not shown again',
      schema: createdKeySchema,
      example: { key: EXAMPLE_KEY, secret: 'kite_4JqZ0s8XbqzQf2yV7nWm1cRt5uYp3kHd9eLgA6oBxNi' },
    },
    errors: { 400: ['validation_error'], 409: ['conflict'] },
  }),
  listKeys: defineRoute({
    method: 'GET',
    path: '/api/keys',
    function: 'keys',
    operationId: 'listKeys',
    scope: 'session',
    tag: 'keys',
    summary: "The caller's API keys, newest first (never their secrets)",
    description: SESSION_ONLY,
    success: {
      status: 200,
      description: "The caller's keys, expired ones included",
      schema: keyListSchema,
      example: { keys: [EXAMPLE_KEY] },
    },
  }),
  deleteKey: defineRoute({
    method: 'DELETE',
    path: '/api/keys/{id}',
    function: 'keys',
    operationId: 'deleteKey',
    scope: 'session',
    tag: 'keys',
    summary: 'Revoke one of the caller’s API keys: it stops working within 10 seconds everywhere',
    description: SESSION_ONLY,
    params: uuidPathParam('The key id'),
    success: { status: 204, description: 'Revoked' },
    errors: { 404: ['not_found'] },
  }),
};
