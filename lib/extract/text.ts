import { getObjectBytes } from '../platform/aws/storage.js';
import { logger } from '../platform/logger.js';

export type TextKind = 'pdf' | 'text' | 'none';

/**
 * Stored with each document's search text. Raise it when extraction changes what it produces: `npm run reindex`
 * then extracts every document's text again.
 */
export const EXTRACTOR_VERSION = 1;

/** Which extractor a content type gets: PDF, text/* as UTF-8, anything else none (the filename alone is sent). */
export function textKind(contentType: string): TextKind {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/')) return 'text';
  return 'none';
}

/** UTF-8 needs at most 4 bytes a character: the prefix of a text object that can hold `maxChars` characters. */
export function textBytesNeeded(maxChars: number): number {
  return maxChars * 4;
}

/** The document's text, at most `maxChars` characters; '' when there is none (or the PDF cannot be read). */
export async function extractText(bytes: Uint8Array, source: TextKind, maxChars: number): Promise<string> {
  if (source === 'none') return '';
  const raw = source === 'pdf' ? await pdfText(bytes, maxChars) : new TextDecoder('utf-8').decode(bytes);
  return truncateText(tidyText(raw), maxChars);
}

/**
 * Pages in order until enough text is collected, so a 500-page PDF costs a few pages. unpdf (a serverless build of
 * PDF.js) is imported here, lazily: only classification pays for loading it. A PDF that cannot be parsed is
 * classified by its filename rather than failed: retrying would not make it readable.
 */
async function pdfText(bytes: Uint8Array, maxChars: number): Promise<string> {
  const { getDocumentProxy } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>> | undefined;
  try {
    // PDF.js takes ownership of the buffer it is given: hand it a copy. No eval: the input is untrusted.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, verbosity: 0 });
    const pages: string[] = [];
    let length = 0;
    for (let number = 1; number <= pdf.numPages && length < maxChars; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      const text = content.items
        .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
        .join('');
      page.cleanup();
      pages.push(text);
      length += text.length;
    }
    return pages.join('\n');
  } catch (error) {
    logger.warn('PDF text extraction failed; classifying by filename', { error: error as Error });
    return '';
  } finally {
    await pdf?.destroy();
  }
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

export interface StoredFile {
  storageKey: string;
  contentType: string;
  sizeBytes: number | null;
}

/**
 * A stored file's text, at most `maxChars` characters: only what the extractor can use is read (a text prefix by
 * ranged GET, a whole PDF, nothing for other types). undefined when the object is missing; S3 errors propagate.
 */
export async function readDocumentText(file: StoredFile, maxChars: number): Promise<string | undefined> {
  const source = textKind(file.contentType);
  if (source === 'none') return '';
  const needed = source === 'text' ? textBytesNeeded(maxChars) : undefined;
  const ranged = needed !== undefined && (file.sizeBytes ?? Number.POSITIVE_INFINITY) > needed;
  const bytes = await getObjectBytes(file.storageKey, ranged ? needed : undefined);
  if (!bytes) return undefined;
  return extractText(bytes, source, maxChars);
}
