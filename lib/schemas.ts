import { z } from 'zod';
import { hasControlChars } from './names.js';

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
