import { isThrottlingError, isTransientError } from '@smithy/core/retry';

/** Typed HTTP errors; `lib/platform/http.ts` is the only place that turns them (and everything else) into a response. */
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

/**
 * The caller already stores this content (docs/api.md "Duplicates and retried requests"); `trashed` when that document
 * is in the trash, so a client restores it instead of uploading the bytes again.
 */
export class DuplicateError extends HttpError {
  constructor(documentId: string, trashed = false) {
    super(
      409,
      'duplicate',
      trashed
        ? 'You already have a document with this content, in the trash: restore it instead'
        : 'You already have a document with this content',
      trashed ? { documentId, trashed: true } : { documentId },
    );
  }
}

/** An If-Match that no longer matches: the document changed since the client read it. */
export class PreconditionFailedError extends HttpError {
  constructor(message = 'The document changed since you read it; read it again and retry') {
    super(412, 'precondition_failed', message);
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

/**
 * The 503 answer: a dependency (S3, SQS, the database) is down or refused, and the client may retry. Code does not
 * throw it: it lets the dependency's error propagate, and lib/platform/http.ts answers every error `isDependencyFailure`
 * accepts with this one body.
 */
export class UnavailableError extends HttpError {
  constructor() {
    super(503, 'unavailable', 'A dependency is unavailable; retry later');
  }
}

/**
 * A failure kite itself detects in a dependency (S3 refused keys, the invocation's deadline passed) rather than one
 * the client library raises: `isDependencyFailure` accepts every subclass, so it answers 503 like a dropped
 * connection.
 */
export class DependencyFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/**
 * The one error body (docs/api.md "API"). Messages are kite's own text, written for the client: an HttpError never
 * carries an internal detail (everything else becomes a generic 500 or 503 in lib/platform/http.ts). `requestId` is the
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
// SQS throttled by KMS (an encrypted queue): a throttling error the SDK's list lacks.
const SQS_KMS_THROTTLED = 'KmsThrottled';
// statement_timeout (DB_STATEMENT_TIMEOUT_MS): the server cancelled the statement, nothing was committed.
const PG_STATEMENT_TIMEOUT = '57014';

/**
 * Errors that mean a dependency (database, S3, SQS) is down, overloaded or refused, so a retry may succeed: the one
 * test for a 503 (docs/api.md "API"). lib/platform/http.ts answers them `unavailable`; everything else unexpected is a 500.
 */
export function isDependencyFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (e.code && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.has(e.code))) return true;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  // The AWS SDK's own rule for what a retry may fix: throttling (SQS's RequestThrottled is a client fault, S3's
  // SlowDown a 503), retryable-by-trait and clock-skew-corrected errors. Other client faults (AccessDenied,
  // QueueDoesNotExist) are configuration problems and stay 500.
  if (isThrottlingError(e as never) || isTransientError(e as never) || e.name === SQS_KMS_THROTTLED)
    return true;
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e instanceof DependencyFailure ||
    e.code === PG_STATEMENT_TIMEOUT ||
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout/i.test(e.message)
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== error && isDependencyFailure(e.cause);
}
