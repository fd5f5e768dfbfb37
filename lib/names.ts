/** Text rules shared by filenames and topic names. */

const CONTROL_CHARS = /\p{Cc}/gu;

export function hasControlChars(value: string): boolean {
  return /\p{Cc}/u.test(value);
}

export function stripControlChars(value: string): string {
  return value.replace(CONTROL_CHARS, '');
}
