import { DeadlineExceededError } from './deadline.js';

/** Typed HTTP errors; `lib/http.ts` is the only place that turns them (and everything else) into a response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
}

export class ValidationError extends HttpError {
  constructor(message: string, details?: ValidationIssue[]) {
    super(400, 'validation_error', message, details);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'A valid bearer token is required') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/** The caller already stores this content (README "Duplicates and retried requests"). */
export class DuplicateError extends HttpError {
  constructor(documentId: string) {
    super(409, 'duplicate', 'You already have a document with this content', { documentId });
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(code: 'quota_exceeded' | 'file_too_large', message: string) {
    super(413, code, message);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

/** A dependency (S3, SQS, the database) is down; the client may retry. */
export class UnavailableError extends HttpError {
  constructor(message = 'A dependency is unavailable; retry later', options?: { cause?: unknown }) {
    super(503, 'unavailable', message);
    if (options?.cause) this.cause = options.cause;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/**
 * The one error body (README "Errors"). Messages are kite's own text, written for the client: an HttpError never
 * carries an internal detail (everything else becomes a generic 500 or 503 in lib/http.ts). `requestId` is the
 * invocation's id, the `function_request_id` of its log lines, so a user's report can be found in the logs.
 */
export function errorBody(error: HttpError, requestId?: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  if (requestId) body.error.requestId = requestId;
  return body;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
// Postgres: connection failures, admin shutdown, too many connections (08xxx, 57P0x, 53300), and a transaction
// rolled back by a serialization failure or a deadlock (40001, 40P01): nothing was committed, a retry may succeed.
const PG_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
  '40001',
  '40P01',
]);
// statement_timeout (DB_STATEMENT_TIMEOUT_MS): the server cancelled the statement, nothing was committed.
const PG_STATEMENT_TIMEOUT = '57014';

/**
 * Errors that mean a dependency (database, S3, SQS) is down or overloaded, so a retry may succeed: lib/http.ts
 * answers them 503 `unavailable`.
 */
export function isDependencyFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (e.code && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.has(e.code))) return true;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e instanceof DeadlineExceededError ||
    e.code === PG_STATEMENT_TIMEOUT ||
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout/i.test(e.message)
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== error && isDependencyFailure(e.cause);
}
