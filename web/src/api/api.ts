import { type components, createKiteClient } from '../../../client/index';

// The one way the app talks to kite: the generated client (client/, openapi-fetch) on this origin, with the
// signed-in person's bearer token, and every failure turned into an ApiProblem that the screens show in words.

export type Schemas = components['schemas'];
export type Topic = Schemas['Topic'];
export type DocumentTopic = Schemas['DocumentTopic'];
export type User = Schemas['User'];
export type ApiKey = Schemas['ApiKey'];
export type Scope = ApiKey['scopes'][number];

/** A document as the API gives it, thumbnail, page count and text source included (docs/api.md). */
export type Doc = Schemas['Document'];
export type DocWithUrls = Schemas['DocumentWithDownload'];
export type SearchResult = Schemas['SearchResult'];

/** An answer that was not a success: the error body's words, its code and the request id to quote. */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiProblem';
  }
}

let currentToken: () => string | null = () => null;
let onUnauthorized: () => void = () => {};

/** Set once at sign-in: where the bearer token comes from and what to do when the API says it is no longer good. */
export function setSession(token: () => string | null, unauthorized: () => void): void {
  currentToken = token;
  onUnauthorized = unauthorized;
}

export function bearer(): string {
  return currentToken() ?? '';
}

export const api = createKiteClient({
  baseUrl: location.origin,
  fetch: (request) => {
    const token = currentToken();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return fetch(request).catch((error: unknown) => {
      throw new ApiProblem(
        `kite could not be reached (${String(error)}). Check the connection and try again.`,
        0,
        'network',
        null,
      );
    });
  },
});

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a success; otherwise an ApiProblem from the error body (docs/api.md "Errors"). */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  const { response } = result;
  if (response.ok) return result.data as T;
  const body = (result.error as Schemas['Error'] | undefined)?.error;
  const requestId = body?.requestId ?? response.headers.get('x-request-id');
  if (response.status === 401) onUnauthorized();
  throw new ApiProblem(
    body?.message ?? `kite answered ${response.status} ${response.statusText}`.trim(),
    response.status,
    body?.code ?? `http_${response.status}`,
    requestId,
    body?.details,
  );
}

/** The If-Match value for a document's version (docs/api.md "Editing documents, bulk actions and the trash"). */
export function ifMatch(doc: Doc): Record<string, string> {
  return { 'if-match': `"${doc.version}"` };
}
