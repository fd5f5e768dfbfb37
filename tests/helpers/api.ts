import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handler as confirmHandler } from '../../functions/confirm.js';
import { handler as meHandler } from '../../functions/me.js';
import { handler as openApiHandler } from '../../functions/openapi.js';
import { handler as searchHandler } from '../../functions/search.js';
import { handler as uploadUrlHandler } from '../../functions/upload-url.js';
import { ROUTE_KEYS } from '../../lib/api/routes.js';
import { matchRoute } from './api-gateway.js';
import { assertDocumentedResponse } from './openapi.js';

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface CallOptions {
  method?: string;
  path?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Serialised as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  token?: string | null;
  headers?: Record<string, string>;
  /** The function's timeout: the context's remaining time counts down from it (default: a constant 30 s). */
  timeoutMs?: number;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export function lambdaContext(functionName = 'kite-test', timeoutMs?: number): Context {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => (deadline === undefined ? 30_000 : Math.max(deadline - Date.now(), 0)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

// Functions that serve one route: a call without method and path means that route.
const SINGLE_ROUTE = new Map<unknown, string>([
  [meHandler, 'GET /api/me'],
  [uploadUrlHandler, 'POST /api/documents/upload-url'],
  [confirmHandler, 'POST /api/documents/{id}/confirm'],
  [openApiHandler, 'GET /api/openapi.json'],
  [searchHandler, 'GET /api/search'],
]);

/**
 * Invokes a handler in-process with an API Gateway HTTP API (v2) event, the way Lambda would, and checks the
 * response against the OpenAPI document (tests/helpers/openapi.ts): every response the tests read is one the
 * document describes.
 */
export async function call<T = any>(handler: HttpHandler, options: CallOptions = {}): Promise<CallResult<T>> {
  const [routeMethod, routePath] = SINGLE_ROUTE.get(handler)?.split(' ') ?? [];
  const method = options.method ?? routeMethod ?? 'GET';
  const path = options.path ?? routePath ?? '/';
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const matched = matchRoute(ROUTE_KEYS, method, path);
  const pathParameters = { ...matched.pathParameters, ...options.params };
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: matched.routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: matched.routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
  const result = await handler(event, lambdaContext('kite-test', options.timeoutMs));
  const text = typeof result.body === 'string' ? result.body : '';
  const response = {
    status: result.statusCode ?? 200,
    body: text ? JSON.parse(text) : undefined,
    headers: result.headers ?? {},
  };
  assertDocumentedResponse(
    matched.routeKey,
    `${method} ${path}`,
    response.status,
    response.body,
    response.headers,
  );
  return response;
}
