import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

// The typed kite client (docs/cli.md "Command-line client"): openapi-fetch over the types openapi-typescript generates
// from openapi.json (`npm run openapi`). Paths, parameters, bodies and responses are checked by the compiler.

export type { components, paths };
export type Schemas = components['schemas'];
export type Document = Schemas['Document'];
export type Topic = Schemas['Topic'];
export type User = Schemas['User'];
export type UploadTicket = Schemas['UploadTicket'];
export type ErrorBody = Schemas['Error'];
export type ApiKey = Schemas['ApiKey'];

export interface KiteClientOptions {
  /** Where the API is, e.g. http://127.0.0.1:3000 (the paths carry /api). */
  baseUrl: string;
  /** A bearer JWT, or an API key (`kite_…`). */
  token?: string;
  fetch?: (request: Request) => Promise<Response>;
}

export function createKiteClient(options: KiteClientOptions) {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

export type KiteClient = ReturnType<typeof createKiteClient>;

/** A response that was not a success, with the API's error body when it sent one. */
export class KiteApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KiteApiError';
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as ErrorBody | undefined)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** The data of a success, or a KiteApiError built from the error body (or the bare status when there is none). */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const { status, statusText } = result.response;
  if (isErrorBody(result.error)) {
    const { code, message, details } = result.error.error;
    throw new KiteApiError(status, code, message, details);
  }
  throw new KiteApiError(status, `http_${status}`, `${status} ${statusText || 'error'} from the API`);
}
