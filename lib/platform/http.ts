import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { authenticate, type Caller } from '../auth/auth.js';
import { idempotencyKeySchema } from '../schemas.js';
import { provisionCaller } from '../users/users.js';
import { config } from './config.js';
import { clientQueryTimeoutMs } from './db/client.js';
import { DeadlineExceededError, withDeadline } from './deadline.js';
import {
  errorBody,
  ForbiddenError,
  HttpError,
  isDependencyFailure,
  NotFoundError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
import { logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface RouteContext<Body, Query> {
  event: HttpEvent;
  caller: Caller;
  body: Body;
  query: Query;
  params: Record<string, string>;
}

type Schema = z.ZodMiniType | undefined;

interface RouteOptions<BodySchema extends Schema, QuerySchema extends Schema> {
  /** zod schema for the JSON body; without it the body is ignored. */
  body?: BodySchema;
  /** zod schema for the query string's parameters (all strings); without it the query string is ignored. */
  query?: QuerySchema;
  /** Only callers with the admin claim may call this route. */
  admin?: boolean;
}

type Parsed<S> = S extends z.ZodMiniType ? z.infer<S> : undefined;

type RouteFn<B extends Schema, Q extends Schema> = (
  ctx: RouteContext<Parsed<B>, Parsed<Q>>,
) => Promise<HttpResult>;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function noContent(): HttpResult {
  return { statusCode: 204, headers: {}, body: '' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID cannot name anything: it is a 404, not a database error. */
export function uuidParam(params: Record<string, string>, name = 'id'): string {
  const value = params[name];
  if (!value || !UUID.test(value)) throw new NotFoundError();
  return value.toLowerCase();
}

/** The request's Idempotency-Key header (README "Duplicates and retried requests"), validated; 400 when malformed. */
export function idempotencyKey(event: HttpEvent): string | undefined {
  const parsed = idempotencyKeySchema.safeParse(event.headers?.['idempotency-key']);
  if (!parsed.success) {
    throw new ValidationError('The Idempotency-Key header is invalid', [
      { path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return parsed.data;
}

function zodIssues(error: z.core.$ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

function parseBody<Schema extends z.ZodMiniType>(event: HttpEvent, schema: Schema): z.infer<Schema> {
  let raw = event.body ?? '';
  if (event.isBase64Encoded) raw = Buffer.from(raw, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ValidationError('The request body must be valid JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new ValidationError('The request body is invalid', zodIssues(result.error));
  return result.data;
}

function parseQuery<Schema extends z.ZodMiniType>(event: HttpEvent, schema: Schema): z.infer<Schema> {
  const result = schema.safeParse({ ...event.queryStringParameters });
  if (!result.success) throw new ValidationError('The query string is invalid', zodIssues(result.error));
  return result.data;
}

/**
 * The one place an error becomes a response: HttpErrors as they are (their messages are written for clients),
 * dependency failures as 503, everything else as a generic 500 without internals. The body and the
 * `x-request-id` header carry the invocation's id, the one its log lines have.
 */
export function errorResponse(error: unknown, requestId?: string): HttpResult {
  const headers: Record<string, string> = requestId ? { [REQUEST_ID_HEADER]: requestId } : {};
  if (error instanceof HttpError) {
    if (error.status >= 500) logger.error(error.message, { error });
    return json(error.status, errorBody(error, requestId), headers);
  }
  if (isDependencyFailure(error)) {
    logger.error('dependency unavailable', { error: error as Error });
    return json(503, errorBody(new UnavailableError(), requestId), headers);
  }
  logger.error('unhandled error', { error: error as Error });
  return json(500, errorBody(new HttpError(500, 'internal', 'Internal server error'), requestId), headers);
}

/** Every answer names its invocation, so a client can quote it (README "API"). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The middy stack every HTTP handler uses, built when the function's module loads (its init, which parses the
 * configuration): logger context, normalised headers, authentication (and the JIT user
 * row), the zod-validated JSON body and query string, and the error mapper last.
 */
export function route<B extends Schema = undefined, Q extends Schema = undefined>(
  options: RouteOptions<B, Q>,
  fn: RouteFn<B, Q>,
) {
  config(); // parsed at init, so a bad setting fails it (README "Configuration")
  return middy<HttpEvent, HttpResult, Error, Context>({
    // The backstop: should anything ignore the deadline, kite still answers 503 itself before Lambda's timeout.
    timeoutEarlyInMillis: ANSWER_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new DeadlineExceededError('The request ran out of time');
    },
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use({
      after: async (request) => {
        if (request.response) {
          request.response.headers = {
            ...request.response.headers,
            [REQUEST_ID_HEADER]: request.context.awsRequestId,
          };
        }
      },
      onError: async (request) => {
        request.response = errorResponse(request.error, request.context.awsRequestId);
      },
    })
    .handler((event, context) => withDeadline(context, workMarginMs(), () => handle(options, fn, event)));
}

/**
 * README "Timeouts and faults": dependency calls stop `workMarginMs` before the function's timeout, which leaves a
 * statement sent just before that time room to finish (or time out) and the handler room to answer; the middy
 * backstop fires ANSWER_MARGIN_MS before the timeout.
 */
const ANSWER_MARGIN_MS = 500;

function workMarginMs(): number {
  return ANSWER_MARGIN_MS + (clientQueryTimeoutMs(config().DB_STATEMENT_TIMEOUT_MS) || 1000);
}

async function handle<B extends Schema, Q extends Schema>(
  options: RouteOptions<B, Q>,
  fn: RouteFn<B, Q>,
  event: HttpEvent,
): Promise<HttpResult> {
  const caller = await authenticate(event.headers?.authorization);
  logger.appendKeys({ userId: caller.userId });
  if (options.admin && !caller.isAdmin) throw new ForbiddenError('This route is for admins');
  await provisionCaller(caller);
  const body = (options.body ? parseBody(event, options.body) : undefined) as Parsed<B>;
  const query = (options.query ? parseQuery(event, options.query) : undefined) as Parsed<Q>;
  return fn({ event, caller, body, query, params: { ...event.pathParameters } as Record<string, string> });
}

type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * One Lambda serving several routes of a group. API Gateway has already matched the request against the httpApi
 * routes of serverless.yml (the list in lib/api/routes.ts): the event's `routeKey` ("GET /api/documents/{id}") names
 * the route and `pathParameters` carry its decoded parameters, so dispatch is a lookup. A key the table lacks is a
 * 404.
 */
export function router(routes: Record<string, HttpHandler>): HttpHandler {
  const table = new Map(Object.entries(routes));
  return async (event, context) => {
    const handler = table.get(event.routeKey);
    if (handler) return handler(event, context);
    return errorResponse(new NotFoundError(`No route for ${event.routeKey}`), context.awsRequestId);
  };
}
