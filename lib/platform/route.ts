import type * as z from 'zod/mini';

// A route declared once (README "Layout"): its feature's contract says everything about it, and the router table
// (lib/api/router.ts), the OpenAPI document (lib/api/openapi.ts) and the checks against serverless.yml
// (tests/deploy/openapi.test.ts and template.test.ts, through lib/api/routes.ts) derive from that declaration.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 500 | 503;
export type ErrorCodes = readonly [string, ...string[]];

/** What an API key may be allowed to do (docs/api.md "API keys"); a signed-in session (a JWT) may do all of it. */
export const API_KEY_SCOPES = [
  'documents:read',
  'documents:write',
  'topics:read',
  'topics:write',
  'admin',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * What a route needs of its caller's credential: one scope of a key (a JWT has them all); `any` = every valid
 * credential, whatever its scopes (GET /api/me, which `kite login` checks a key with); `session` = a JWT only, no
 * key at all (managing keys: a leaked key cannot mint, list or revoke keys).
 */
export type RouteScope = ApiKeyScope | 'any' | 'session';

export interface ParamDeclaration {
  description: string;
  schema: z.ZodMiniType;
}

/**
 * `scope`: what a key needs to call the route (403 otherwise; lib/auth/auth.ts), required on every authenticated
 * route so a new route cannot forget it. `auth: false`: no bearer token needed (served without route()'s stack).
 */
type Access = { auth?: undefined; scope: RouteScope } | { auth: false; scope?: undefined };

export type RouteDeclaration<
  Body extends z.ZodMiniType | undefined = z.ZodMiniType | undefined,
  Query extends z.ZodMiniObject | undefined = z.ZodMiniObject | undefined,
> = RouteFields<Body, Query> & Access;

interface RouteFields<Body extends z.ZodMiniType | undefined, Query extends z.ZodMiniObject | undefined> {
  method: HttpMethod;
  /** API Gateway's path template: `/api/documents/{id}`. */
  path: `/api/${string}`;
  /** The Lambda (a function of serverless.yml, a file of functions/) that serves it. */
  function: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'documents' | 'topics' | 'admin' | 'me' | 'keys' | 'meta';
  /** Only admins may call it (403 otherwise): the JWT's admin claim, or for a key the role stored on the user. */
  admin?: boolean;
  params?: Record<string, ParamDeclaration>;
  /** Optional request headers. */
  headers?: Record<string, ParamDeclaration>;
  /** The query string's parameters (all strings as they travel); without it the query string is ignored. */
  query?: Query;
  /** The JSON body; without it the body is ignored. `example` is shown in the OpenAPI document. */
  body?: Body extends z.ZodMiniType ? { schema: Body; example: unknown } : undefined;
  success: {
    status: number;
    description: string;
    schema?: z.ZodMiniType;
    example?: unknown;
    /** Response headers it always sends (e.g. ETag). */
    headers?: Record<string, ParamDeclaration>;
  };
  /** Errors it answers with besides the ones every route has (401, 500, 503; 403 for admin routes). */
  errors?: Partial<Record<ErrorStatus, ErrorCodes>>;
}

/** A declaration as written, its types kept for the handler that serves it. */
export function defineRoute<
  const Body extends z.ZodMiniType | undefined = undefined,
  const Query extends z.ZodMiniObject | undefined = undefined,
>(declaration: RouteDeclaration<Body, Query>): RouteDeclaration<Body, Query> {
  return declaration;
}

/** "METHOD /path/{param}", as API Gateway writes a route key and serverless.yml an httpApi event. */
export function routeKey(declaration: Pick<RouteDeclaration, 'method' | 'path'>): string {
  return `${declaration.method} ${declaration.path}`;
}
