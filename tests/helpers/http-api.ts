import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaContext } from './api.js';
import { matchRoute } from './api-gateway.js';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;

export interface HttpApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * The handlers over HTTP, for a browser: what API Gateway's HTTP API does in front of them on AWS — routes by
 * method and path to a handler and answers CORS (preflights and the Allow-Origin header) for `origins`.
 */
export async function startHttpApi(
  routes: Record<string, Handler>,
  origins: readonly string[],
): Promise<HttpApi> {
  const routeKeys = Object.keys(routes);
  const server: Server = createServer(async (req, res) => {
    const origin = req.headers.origin ?? '';
    const cors: Record<string, string> = origins.includes(origin)
      ? { 'access-control-allow-origin': origin, vary: 'origin' }
      : {};
    const url = new URL(req.url ?? '/', 'http://api');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '3600',
      });
      res.end();
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const method = req.method ?? 'GET';
    const matched = matchRoute(routeKeys, method, url.pathname);
    const handler = routes[matched.routeKey];
    if (!handler) {
      res.writeHead(404, cors).end();
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
    ) as Record<string, string>;
    const result = await handler(
      {
        version: '2.0',
        routeKey: matched.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
        ...(matched.pathParameters ? { pathParameters: matched.pathParameters } : {}),
        ...(body ? { body } : {}),
        isBase64Encoded: false,
        requestContext: {
          accountId: '000000000000',
          apiId: 'browser-test',
          domainName: '127.0.0.1',
          domainPrefix: '127',
          http: {
            method,
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'chromium',
          },
          requestId: randomUUID(),
          routeKey: matched.routeKey,
          stage: '$default',
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
        },
      },
      lambdaContext(),
    );
    res.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), ...cors });
    res.end(result.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
