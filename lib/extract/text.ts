import { getObjectBytes } from '../platform/aws/storage.js';
import { logger } from '../platform/logger.js';
import { EXTRACTOR_VERSION, textBytesNeeded, tidyText, truncateText } from './tidy.js';

export { EXTRACTOR_VERSION, textBytesNeeded, tidyText, truncateText };

export type TextKind = 'pdf' | 'text' | 'none';

/** Which extractor a content type gets: PDF, text/* as UTF-8, anything else none (the filename alone is sent). */
export function textKind(contentType: string): TextKind {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/')) return 'text';
  return 'none';
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
