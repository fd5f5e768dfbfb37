// Namespace import: lets esbuild drop what is unused (zod's locales alone are ~300 KB).
import * as z from 'zod';
import { AI_PROVIDERS } from './config.js';
import { checkTopicName, hasControlChars, hasNonWhitespaceControlChars } from './names.js';

export const filenameSchema = z
  .string()
  .trim()
  .min(1, 'filename must not be empty')
  .max(255, 'filename must be at most 255 characters')
  .refine((name) => !hasControlChars(name), 'filename must not contain control characters');

export const uploadUrlBody = z.strictObject({
  filename: filenameSchema,
  contentType: z
    .string()
    .min(1)
    .max(255)
    .transform((type) => type.trim().toLowerCase()),
  size: z
    .number()
    .int('size must be an integer')
    .nonnegative('size must not be negative')
    .max(Number.MAX_SAFE_INTEGER),
});
export type UploadUrlBody = z.infer<typeof uploadUrlBody>;

export const DOCUMENT_STATUSES = ['pending', 'uploaded', 'classified', 'failed'] as const;

/** GET /api/documents query string: every value arrives as a string. Unknown parameters are ignored. */
export const listDocumentsQuery = z.object({
  status: z.enum(DOCUMENT_STATUSES).optional(),
  topicId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'topicId must be a UUID')
    .transform((id) => id.toLowerCase())
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'limit must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit must be at least 1').max(100, 'limit must be at most 100'))
    .default(20),
  cursor: z.string().optional(),
});
export type ListDocumentsQuery = z.infer<typeof listDocumentsQuery>;

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required` : `${what} must be a string`;

/** A topic name as a client sends it: validated strictly, then normalised by the one normalisation (lib/names.ts). */
export const topicNameSchema = z.string({ error: required('name') }).transform((value, ctx) => {
  const check = checkTopicName(value);
  if (check.ok) return check.name;
  ctx.issues.push({ code: 'custom', message: check.message, input: value });
  return z.NEVER;
});

export const TOPIC_DESCRIPTION_MAX = 500;

/** Optional free text: trimmed; blank or null clears it. Newlines and tabs are fine, other control characters not. */
export const topicDescriptionSchema = z
  .string({ error: 'description must be a string or null' })
  .trim()
  .max(TOPIC_DESCRIPTION_MAX, `description must be at most ${TOPIC_DESCRIPTION_MAX} characters`)
  .refine((text) => !hasNonWhitespaceControlChars(text), 'description must not contain control characters')
  .transform((text) => (text === '' ? null : text))
  .nullable();

export const createTopicBody = z.strictObject({
  name: topicNameSchema,
  description: topicDescriptionSchema.optional(),
});
export type CreateTopicBody = z.infer<typeof createTopicBody>;

export const updateTopicBody = z
  .strictObject({
    name: topicNameSchema.optional(),
    description: topicDescriptionSchema.optional(),
  })
  .refine((body) => body.name !== undefined || body.description !== undefined, {
    message: 'send at least one of name, description',
  });
export type UpdateTopicBody = z.infer<typeof updateTopicBody>;

export const updateUserBody = z
  .strictObject({
    aiProvider: z
      .enum(AI_PROVIDERS, { error: `aiProvider must be one of ${AI_PROVIDERS.join(', ')}, or null` })
      .nullable()
      .optional(),
    aiModel: z
      .string({ error: 'aiModel must be a string or null' })
      .trim()
      .min(1, 'aiModel must not be empty')
      .max(200, 'aiModel must be at most 200 characters')
      .refine((model) => !hasControlChars(model), 'aiModel must not contain control characters')
      .nullable()
      .optional(),
    quotaLimitBytes: z
      .number({ error: 'quotaLimitBytes must be a number' })
      .int('quotaLimitBytes must be an integer')
      .nonnegative('quotaLimitBytes must not be negative')
      .max(Number.MAX_SAFE_INTEGER, 'quotaLimitBytes is too large')
      .optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'send at least one of aiProvider, aiModel, quotaLimitBytes',
  });
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const USERS_PAGE_MAX = 500;

export const listUsersQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `limit must be an integer from 1 to ${USERS_PAGE_MAX}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(USERS_PAGE_MAX, `limit must be at most ${USERS_PAGE_MAX}`))
    .default(100),
  cursor: z.string().optional(),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;
