import * as z from 'zod/mini';
import './zod-messages.js';

// What every feature's contract (lib/<feature>/<feature>.contract.ts) builds on: the shapes the API answers with
// everywhere, the error body, and the query-string integers (docs/api.md "API").

export const dateTime = () => z.iso.datetime();
export const byteCount = () => z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path parameter that is a UUID (anything else names nothing: 404, see uuidParam in lib/platform/http.ts). */
export const uuidPathParam = (description: string) => ({ id: { description, schema: z.uuid() } });

/** A query-string integer: digits only, then range-checked as a number, `fallback` when absent. */
export function queryInt(options: {
  pattern: RegExp;
  digitsMessage: string;
  minMessage?: string;
  max: number;
  maxMessage: string;
  fallback: number;
}) {
  return z
    ._default(
      z.pipe(
        z.pipe(z.string().check(z.regex(options.pattern, options.digitsMessage)), z.transform(Number)),
        z
          .number()
          .check(z.int(), z.minimum(1, options.minMessage), z.maximum(options.max, options.maxMessage)),
      ),
      options.fallback,
    )
    .register(z.globalRegistry, {
      // The OpenAPI document shows the integer a client means, not the digits it travels as (lib/api/openapi.ts).
      queryInteger: { minimum: 1, maximum: options.max, default: options.fallback },
    });
}

/** An optional UUID in the query string (`topicId`), lowercased. */
export function uuidQuery(name: string) {
  return z.optional(
    z.pipe(
      z.string().check(z.regex(UUID, `${name} must be a UUID`)),
      z.transform((id: string) => id.toLowerCase()),
    ),
  );
}

/** `limit` of the document list and search: 1–100, 20 when absent. */
export const pageLimitQuery = queryInt({
  pattern: /^\d{1,3}$/,
  digitsMessage: 'limit must be an integer from 1 to 100',
  minMessage: 'limit must be at least 1',
  max: 100,
  maxMessage: 'limit must be at most 100',
  fallback: 20,
});

export const validationIssueSchema = z.object({ path: z.string(), message: z.string() });

/** The one error body (docs/api.md "API"); `codes` narrows `code` to what one response can carry. */
export function errorBodySchema(codes?: readonly [string, ...string[]]) {
  return z.object({
    error: z.object({
      code: codes ? z.enum(codes) : z.string(),
      message: z.string(),
      details: z.optional(
        // Validation errors list their issues; `duplicate` names the document it duplicates ({documentId}).
        z.union([z.array(validationIssueSchema), z.record(z.string(), z.unknown())]),
      ),
      /** The invocation's id, as in its log lines and the x-request-id header: quote it when reporting a problem. */
      requestId: z.optional(z.string()),
    }),
  });
}
