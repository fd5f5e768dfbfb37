import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { authenticate, type Caller } from '../auth/auth.js';
import { config } from '../platform/config.js';
import { clientQueryTimeoutMs } from '../platform/db/client.js';
import { DeadlineExceededError, withDeadline } from '../platform/deadline.js';
import { ForbiddenError, NotFoundError, ValidationError, type ValidationIssue } from '../platform/errors.js';
import { errorResponse, type HttpEvent, type HttpResult, REQUEST_ID_HEADER } from '../platform/http.js';
import { logger } from '../platform/logger.js';
import { type RouteDeclaration, routeKey } from '../platform/route.js';
import { provisionCaller } from '../users/users.js';

// The HTTP functions' stack: it sits above the features because every request first asks auth who the caller is
// and users to provision their row; functions/ build their handlers with router().

export interface RouteContext<Body, Query> {
  event: HttpEvent;
  caller: Caller;
  body: Body;
  query: Query;
  params: Record<string, string>;
}

type Parsed<S> = S extends z.ZodMiniType ? z.infer<S> : undefined;
type BodyOf<R> = R extends RouteDeclaration<infer B, z.ZodMiniObject | undefined> ? Parsed<B> : undefined;
type QueryOf<R> = R extends RouteDeclaration<z.ZodMiniType | undefined, infer Q> ? Parsed<Q> : undefined;

/** What serves one declared route: its body and query string arrive parsed, as the declaration's schemas say. */
export type RouteHandler<R> = (ctx: RouteContext<BodyOf<R>, QueryOf<R>>) => Promise<HttpResult>;

// biome-ignore lint/suspicious/noExplicitAny: any schema pair; each handler is typed by its own declaration.
type AnyRoute = RouteDeclaration<any, any>;

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
 * The middy stack every HTTP handler uses, built when the function's module loads (its init, which parses the
 * configuration): logger context, normalised headers, authentication (and the JIT user row), the admin check, the
 * zod-validated JSON body and query string of the route's declaration, and the error mapper last.
 */
function route(declaration: AnyRoute, fn: RouteHandler<AnyRoute>) {
  config(); // parsed at init, so a bad setting fails it (docs/operations.md "Configuration")
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
    .handler((event, context) => withDeadline(context, workMarginMs(), () => handle(declaration, fn, event)));
}

/**
 * docs/operations.md "Timeouts and faults": dependency calls stop `workMarginMs` before the function's timeout, which leaves a
 * statement sent just before that time room to finish (or time out) and the handler room to answer; the middy
 * backstop fires ANSWER_MARGIN_MS before the timeout.
 */
const ANSWER_MARGIN_MS = 500;

function workMarginMs(): number {
  return ANSWER_MARGIN_MS + (clientQueryTimeoutMs(config().DB_STATEMENT_TIMEOUT_MS) || 1000);
}

async function handle(
  declaration: AnyRoute,
  fn: RouteHandler<AnyRoute>,
  event: HttpEvent,
): Promise<HttpResult> {
  const caller = await authenticate(event.headers?.authorization);
  logger.appendKeys({ userId: caller.userId });
  if (declaration.admin && !caller.isAdmin) throw new ForbiddenError('This route is for admins');
  await provisionCaller(caller);
  const body = declaration.body ? parseBody(event, declaration.body.schema) : undefined;
  const query = declaration.query ? parseQuery(event, declaration.query) : undefined;
  return fn({ event, caller, body, query, params: { ...event.pathParameters } as Record<string, string> });
}

type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * A Lambda serving a group of declared routes (README "Layout"): one handler per declaration, keyed as the group
 * is, so a group whose handlers miss a route does not compile.
 */
export function router<const Routes extends Record<string, AnyRoute>>(
  routes: Routes,
  handlers: { [Name in keyof Routes]: RouteHandler<Routes[Name]> },
): HttpHandler {
  return dispatch(
    Object.fromEntries(
      Object.entries(routes).map(([name, declaration]) => [
        routeKey(declaration),
        route(declaration, handlers[name] as RouteHandler<AnyRoute>),
      ]),
    ),
  );
}

/**
 * API Gateway has already matched the request against the httpApi routes of serverless.yml: the event's
 * `routeKey` ("GET /api/documents/{id}") names the route and `pathParameters` carry its decoded parameters, so
 * dispatch is a lookup. A key the table lacks is a 404.
 */
export function dispatch(routes: Record<string, HttpHandler>): HttpHandler {
  const table = new Map(Object.entries(routes));
  return async (event, context) => {
    const handler = table.get(event.routeKey);
    if (handler) return handler(event, context);
    return errorResponse(new NotFoundError(`No route for ${event.routeKey}`), context.awsRequestId);
  };
}
