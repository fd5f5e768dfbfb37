/** Text rules shared by filenames and topic names. */

const CONTROL_CHARS = /\p{Cc}/gu;

export function hasControlChars(value: string): boolean {
  return /\p{Cc}/u.test(value);
}

export function stripControlChars(value: string): string {
  return value.replace(CONTROL_CHARS, '');
}

export const TOPIC_NAME_MAX = 64;

/**
 * The one normalisation for topic names (routes and classification): control characters stripped, trimmed,
 * internal whitespace collapsed. Returns undefined when the result is not 1–64 characters. Uniqueness is then
 * case-insensitive (the database compares lower(name)).
 */
export function normaliseTopicName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = stripControlChars(value.normalize('NFC')).replace(/\s+/gu, ' ').trim();
  return name.length >= 1 && name.length <= TOPIC_NAME_MAX ? name : undefined;
}

/** The key two topic names collide on: normalised, then lower-cased. */
export function topicNameKey(value: string): string {
  return (normaliseTopicName(value) ?? value).toLowerCase();
}
