import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorBody, HttpError, isDependencyFailure, NotFoundError, UnavailableError } from './errors.js';
import { logger } from './logger.js';

// What an HTTP answer is made of: JSON and empty bodies, path ids, and the one place an error becomes a response.
// The stack that authenticates and validates is lib/api/router.ts.

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

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

/** Every answer names its invocation, so a client can quote it (docs/api.md "API"). */
export const REQUEST_ID_HEADER = 'x-request-id';
