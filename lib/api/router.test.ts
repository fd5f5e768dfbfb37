import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../../tests/helpers/api.js';
import { dispatch } from './router.js';

const event = (routeKey: string, rawPath: string, pathParameters?: Record<string, string>) =>
  ({ version: '2.0', routeKey, rawPath, pathParameters, headers: {} }) as unknown as APIGatewayProxyEventV2;

describe('dispatch on the route API Gateway matched', () => {
  const seen: { name: string; params: unknown }[] = [];
  const handler = dispatch({
    'GET /api/things/{id}': async (e) => {
      seen.push({ name: 'get', params: e.pathParameters });
      return { statusCode: 200, body: '' };
    },
    'DELETE /api/things/{id}': async (e) => {
      seen.push({ name: 'delete', params: e.pathParameters });
      return { statusCode: 204, body: '' };
    },
  });

  it('calls the handler of the event routeKey with the path parameters as API Gateway decoded them', async () => {
    const result = await handler(
      event('DELETE /api/things/{id}', '/api/things/a%2Fb', { id: 'a/b' }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(204);
    expect(seen.at(-1)).toEqual({ name: 'delete', params: { id: 'a/b' } });
  });

  it('does not look at the raw path: the route key alone decides', async () => {
    await handler(event('GET /api/things/{id}', '/somewhere/else', { id: 'x' }), lambdaContext());
    expect(seen.at(-1)).toEqual({ name: 'get', params: { id: 'x' } });
  });

  it('answers a route key it does not serve with 404 not_found and the request id', async () => {
    const context = lambdaContext();
    const result = await handler(event('PATCH /api/things/{id}', '/api/things/x', { id: 'x' }), context);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(String(result.body))).toEqual({
      error: {
        code: 'not_found',
        message: 'No route for PATCH /api/things/{id}',
        requestId: context.awsRequestId,
      },
    });
    expect(result.headers?.['x-request-id']).toBe(context.awsRequestId);
  });
});
