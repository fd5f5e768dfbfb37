// Text as kite stores it, whichever extractor read it (the extract stage and classify's fallback share these).
// Apart from text.ts so the extract function's bundle does not carry unpdf.

/**
 * Stored with each document's search text. Raise it when extraction changes what it produces: `npm run reindex`
 * then extracts every document's text again.
 */
export const EXTRACTOR_VERSION = 1;

/** UTF-8 needs at most 4 bytes a character: the prefix of a text object that can hold `maxChars` characters. */
export function textBytesNeeded(maxChars: number): number {
  return maxChars * 4;
}

/** Control characters (other than tab and newline) dropped, runs of spaces and blank lines collapsed. */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\P{Cc}\t\n]/gu, '')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** At most `maxChars` UTF-16 units, never ending on half a surrogate pair. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  // Never end on half a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
