import { SNIPPET_MAX_CHARS } from './search.contract.js';
import { HEADLINE_MARKS, HEADLINE_SWAPS } from './search.queries.js';

/** A snippet as the API shows it: plain text, and the [start, end) UTF-16 offsets of the matched words in it. */
export interface Snippet {
  snippet: string;
  highlights: [number, number][];
}

export { SNIPPET_MAX_CHARS };

const unswap = new Map<string, string>(Object.entries(HEADLINE_SWAPS).map(([char, swap]) => [swap, char]));

/**
 * Reads a ts_headline result (lib/search/search.queries.ts): the marks become highlight offsets, swapped characters their
 * originals, runs of whitespace one space. Nothing is interpreted as markup: the text is returned as text, so a
 * client sets it as text and wraps the highlighted ranges itself.
 */
export function readHeadline(headline: string): Snippet {
  let text = '';
  const highlights: [number, number][] = [];
  let open: number | undefined;
  let pendingSpace = false;
  for (const char of headline) {
    if (char === HEADLINE_MARKS.start) {
      open ??= text.length + (pendingSpace && text.length > 0 ? 1 : 0);
      continue;
    }
    if (char === HEADLINE_MARKS.stop) {
      if (open !== undefined && text.length > open) highlights.push([open, text.length]);
      open = undefined;
      continue;
    }
    if (/\s/u.test(char)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace && text.length > 0) text += ' ';
    pendingSpace = false;
    text += unswap.get(char) ?? char;
  }
  return { snippet: text, highlights };
}

/**
 * At most `max` UTF-16 units around the first highlight, cut at spaces where it can be and never inside a
 * surrogate pair; highlights are clipped to what is kept and shifted to the new start.
 */
export function fitSnippet(input: Snippet, max = SNIPPET_MAX_CHARS): Snippet {
  const { snippet: text, highlights } = input;
  if (text.length <= max) return input;
  const focus = highlights[0]?.[0] ?? 0;
  let start = Math.max(0, Math.min(focus - Math.floor(max / 4), text.length - max));
  let end = start + max;
  // Prefer whole words at the edges, unless that would throw away most of the window.
  if (start > 0) {
    const space = text.indexOf(' ', start);
    if (space !== -1 && space < Math.min(focus, start + max / 4)) start = space + 1;
  }
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > start && space > end - max / 4) end = space;
  }
  if (text[start] === ' ' || isLowSurrogate(text.charCodeAt(start))) start += 1;
  if (text[end - 1] === ' ' || isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  const kept: [number, number][] = [];
  for (const [from, to] of highlights) {
    const clippedFrom = Math.max(from, start);
    const clippedTo = Math.min(to, end);
    if (clippedFrom < clippedTo) kept.push([clippedFrom - start, clippedTo - start]);
  }
  return { snippet: text.slice(start, end), highlights: kept };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * The snippet of a search hit: from the text when the text matched, else from the filename when it did (an image,
 * a document not classified yet), else the text's beginning.
 */
export function searchSnippet(textHeadline: string, nameHeadline: string): Snippet {
  const fromText = readHeadline(textHeadline);
  if (fromText.highlights.length > 0) return fitSnippet(fromText);
  const fromName = readHeadline(nameHeadline);
  if (fromName.highlights.length > 0 || fromText.snippet === '') return fitSnippet(fromName);
  return fitSnippet(fromText);
}
