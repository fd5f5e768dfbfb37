/** Text rules shared by filenames and topic names. */

const CONTROL_CHARS = /\p{Cc}/gu;
// Tab, line feed, vertical tab, form feed, carriage return: control characters that are also ordinary whitespace.
const WHITESPACE_CONTROL_CHAR = /[\t\n\v\f\r]/u;

export function hasControlChars(value: string): boolean {
  return /\p{Cc}/u.test(value);
}

/** Control characters other than ordinary whitespace (tab, newlines): what a name or a description must not hold. */
export function hasNonWhitespaceControlChars(value: string): boolean {
  return [...value.matchAll(CONTROL_CHARS)].some(([char]) => !WHITESPACE_CONTROL_CHAR.test(char));
}

export function stripControlChars(value: string): string {
  return value.replace(CONTROL_CHARS, '');
}

export const TOPIC_NAME_MAX = 64;

/**
 * The one normalisation for topic names (routes and classification): NFC, whitespace control characters become
 * spaces and the other control characters go, trimmed, internal whitespace collapsed. Returns undefined when the
 * result is not 1–64 characters. Uniqueness is then case-insensitive (the database compares lower(name)).
 */
export function normaliseTopicName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value
    .normalize('NFC')
    .replace(CONTROL_CHARS, (char) => (WHITESPACE_CONTROL_CHAR.test(char) ? ' ' : ''))
    .replace(/\s+/gu, ' ')
    .trim();
  return name.length >= 1 && name.length <= TOPIC_NAME_MAX ? name : undefined;
}

/** The key two topic names collide on: normalised, then lower-cased. */
export function topicNameKey(value: string): string {
  return (normaliseTopicName(value) ?? value).toLowerCase();
}

export type TopicNameCheck = { ok: true; name: string } | { ok: false; message: string };

/**
 * The strict form for names a client sends: where classification silently cleans AI output, a route refuses the
 * control characters the normalisation would drop, so a client's name is only ever re-spaced, never altered.
 */
export function checkTopicName(value: unknown): TopicNameCheck {
  if (typeof value !== 'string') return { ok: false, message: 'name must be a string' };
  if (hasNonWhitespaceControlChars(value)) {
    return { ok: false, message: 'name must not contain control characters' };
  }
  const name = normaliseTopicName(value);
  if (name !== undefined) return { ok: true, name };
  return value.trim() === ''
    ? { ok: false, message: 'name must not be empty' }
    : { ok: false, message: `name must be at most ${TOPIC_NAME_MAX} characters` };
}
