import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  errorBody,
  HttpError,
  isDependencyFailure,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from './errors.js';
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

/**
 * An answer that carries one document: its version, quoted, is the ETag (docs/api.md "Editing documents, bulk actions
 * and the trash").
 */
export function documentJson(statusCode: number, body: { document: { version: number } }): HttpResult {
  return json(statusCode, body, { ETag: `"${body.document.version}"` });
}

const IF_MATCH = /^"([1-9]\d{0,9})"$/;

/**
 * The version an `If-Match: "<version>"` header names; undefined without the header (or with `*`, any version).
 * Anything else cannot name a version kite issued: a 400, not a 412.
 */
export function ifMatchVersion(event: HttpEvent): number | undefined {
  const value = event.headers?.['if-match']?.trim();
  if (value === undefined || value === '*') return undefined;
  const match = IF_MATCH.exec(value);
  const version = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(version) || version > 2147483647) {
    throw new ValidationError('If-Match must be a version as the ETag gives it, e.g. "3"', [
      { path: 'If-Match', message: 'expected a quoted version number' },
    ]);
  }
  return version;
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
