import type { Canvas } from '@napi-rs/canvas';
import type { TextSource } from '../platform/db/schema.js';
import { logger } from '../platform/logger.js';
import { OcrTimeoutError, recognise } from './ocr.js';
import {
  decodeImage,
  greyPgm,
  openPdf,
  type PdfDocument,
  pdfPageText,
  renderPdfPage,
  thumbnailWebp,
} from './raster.js';
import { baseType, declaredKind, type FileKind, sniff } from './sniff.js';
import { tidyText, truncateText } from './tidy.js';

/**
 * A file's text, page count and thumbnail, from its bytes alone (docs/operations.md "Text from scans and photos"):
 * PDFs by their text layer, and OCR for each page without one (or with a garbage one) up to OCR_MAX_PAGES;
 * images by OCR; text/* as UTF-8. Nothing here throws for a bad file: what could not be done is said in `notes`,
 * which the document shows as its `error`.
 */

export interface ContentOptions {
  maxChars: number;
  languages: readonly string[];
  maxOcrPages: number;
  pageTimeoutMs: number;
  thumbnailWidth: number;
  /** Epoch ms after which no further page is OCR'd (the function's own deadline); the rest is noted. */
  deadline?: number;
}

export interface Content {
  text: string;
  textSource: TextSource;
  pageCount: number | null;
  thumbnail: Uint8Array | undefined;
  notes: string[];
}

/** A page with fewer visible characters than this in its text layer is treated as a scan. */
export const MIN_PAGE_CHARS = 20;
/** OCR resolution for PDF pages: 200 dpi read letters as well as 300 dpi here, in ~70 % of the time. */
const OCR_DPI = 200;
/** Photos are scaled to at most this many pixels on their longer side before OCR (A4 at 300 dpi). */
const OCR_MAX_SIDE = 3508;

export async function extractContent(
  bytes: Uint8Array,
  contentType: string,
  options: ContentOptions,
): Promise<Content> {
  const declared = declaredKind(contentType);
  const sniffed = await sniff(bytes);
  if (
    declared !== 'other' &&
    sniffed.kind !== declared &&
    !(declared === 'text' && sniffed.kind === 'other')
  ) {
    return none(
      `The file is not ${baseType(contentType)}: its bytes look like ${describe(sniffed.kind, sniffed.mime)}`,
    );
  }
  if (declared === 'pdf') return pdfContent(bytes, options);
  if (declared === 'image') return imageContent(bytes, sniffed.mime, options);
  if (declared === 'text') {
    const text = truncateText(tidyText(new TextDecoder('utf-8').decode(bytes)), options.maxChars);
    return { text, textSource: 'text', pageCount: null, thumbnail: undefined, notes: [] };
  }
  return { text: '', textSource: 'none', pageCount: null, thumbnail: undefined, notes: [] };
}

function none(note: string, pageCount: number | null = null): Content {
  return { text: '', textSource: 'none', pageCount, thumbnail: undefined, notes: [note] };
}

function describe(kind: FileKind, mime: string | undefined): string {
  if (kind === 'text') return 'text';
  if (mime) return mime;
  return 'no known format';
}

/** A text layer that is mostly U+FFFD or private-use characters: a font without a usable encoding (pngx#3593). */
export function isGarbage(text: string): boolean {
  const visible = text.replace(/\s+/g, '');
  if (visible.length === 0) return false;
  const bad = visible.match(/[\uFFFD\uE000-\uF8FF]|[\uDB80-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
  return bad / visible.length > 0.3;
}

export function needsOcr(pageText: string): boolean {
  return pageText.replace(/\s+/g, '').length < MIN_PAGE_CHARS || isGarbage(pageText);
}

async function pdfContent(bytes: Uint8Array, options: ContentOptions): Promise<Content> {
  let pdf: PdfDocument;
  try {
    pdf = await openPdf(bytes);
  } catch (error) {
    logger.warn('extract: PDF could not be opened', { error: error as Error });
    return none('The file could not be read as a PDF (it is damaged or not a PDF)');
  }
  try {
    return await readPdf(pdf, options);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

async function readPdf(pdf: PdfDocument, options: ContentOptions): Promise<Content> {
  const pageCount = pdf.numPages;
  const notes: string[] = [];
  const pages: string[] = [];
  const scanned: number[] = [];
  let length = 0;
  for (let number = 1; number <= pageCount && length < options.maxChars; number++) {
    let text = '';
    try {
      text = await pdfPageText(pdf, number);
    } catch (error) {
      logger.warn('extract: a PDF page could not be read', { page: number, error: error as Error });
    }
    if (needsOcr(text)) {
      scanned.push(number);
      pages[number - 1] = '';
    } else {
      pages[number - 1] = text;
      length += text.length;
    }
  }

  let page1: Canvas | undefined;
  const ocr = await ocrPages(scanned, options, notes, async (number) => {
    const canvas = await renderPdfPage(pdf, number, { dpi: OCR_DPI });
    if (number === 1) page1 = canvas;
    return greyPgm(canvas);
  });
  for (const [number, text] of ocr.texts) pages[number - 1] = text;

  let thumbnail: Uint8Array | undefined;
  try {
    // Rendered straight at the thumbnail's width (a text page takes ~15 ms); a page already rendered is reused.
    const source = page1 ?? (await renderPdfPage(pdf, 1, { width: options.thumbnailWidth * 2 }));
    thumbnail = await thumbnailWebp(source, options.thumbnailWidth);
  } catch (error) {
    logger.warn('extract: no thumbnail for this PDF', { error: error as Error });
  }
  const text = truncateText(tidyText(pages.filter(Boolean).join('\n\n')), options.maxChars);
  const textSource: TextSource = ocr.read > 0 ? 'ocr' : text ? 'text' : 'none';
  return { text, textSource, pageCount, thumbnail, notes };
}

/**
 * OCRs the given pages in order, one at a time, up to OCR_MAX_PAGES and the deadline. A page that times out or
 * fails is skipped (and named in `notes`); the others still count.
 */
async function ocrPages(
  numbers: readonly number[],
  options: ContentOptions,
  notes: string[],
  image: (number: number) => Promise<Uint8Array>,
): Promise<{ texts: Map<number, string>; read: number }> {
  const texts = new Map<number, string>();
  const failed: number[] = [];
  const allowed = numbers.slice(0, options.maxOcrPages);
  let read = 0;
  let stoppedAt: number | undefined;
  for (const number of allowed) {
    if (options.deadline !== undefined && Date.now() > options.deadline) {
      stoppedAt = number;
      break;
    }
    try {
      texts.set(number, await recognise(await image(number), ocrOptions(options)));
      read += 1;
    } catch (error) {
      failed.push(number);
      logger.warn('extract: OCR of a page failed', { page: number, error: error as Error });
      if (!(error instanceof OcrTimeoutError)) continue;
    }
  }
  if (numbers.length > allowed.length) {
    notes.push(
      `OCR read ${allowed.length} of ${numbers.length} pages without text (OCR_MAX_PAGES is ${options.maxOcrPages}); pages ${pageList(numbers.slice(allowed.length))} were not read`,
    );
  }
  if (stoppedAt !== undefined) {
    const left = allowed.slice(allowed.indexOf(stoppedAt));
    notes.push(`OCR ran out of time; pages ${pageList(left)} were not read`);
  }
  if (failed.length > 0) notes.push(`OCR could not read pages ${pageList(failed)} (too slow or unreadable)`);
  return { texts, read };
}

function ocrOptions(options: ContentOptions) {
  return { languages: options.languages, timeoutMs: options.pageTimeoutMs };
}

/** "3-5, 9" */
function pageList(numbers: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && (numbers[j + 1] as number) === (numbers[j] as number) + 1) j++;
    ranges.push(i === j ? String(numbers[i]) : `${numbers[i]}-${numbers[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

async function imageContent(
  bytes: Uint8Array,
  mime: string | undefined,
  options: ContentOptions,
): Promise<Content> {
  let canvas: Canvas | undefined;
  try {
    canvas = await decodeImage(bytes, OCR_MAX_SIDE);
  } catch (error) {
    logger.info('extract: the canvas cannot decode this image', { error: (error as Error).message });
  }
  // The canvas reads PNG, JPEG and WebP; tesseract's own decoder (Leptonica) reads TIFF too, but leaves it as stored.
  if (!canvas && mime !== 'image/tiff')
    return none('The image could not be decoded (it is damaged or incomplete)', 1);
  const notes: string[] = [];
  const ocr = await ocrPages([1], options, notes, async () => (canvas ? greyPgm(canvas) : bytes));
  const text = truncateText(tidyText(ocr.texts.get(1) ?? ''), options.maxChars);
  if (ocr.read === 0) return { ...none('The image could not be read', 1), notes };
  let thumbnail: Uint8Array | undefined;
  if (canvas) thumbnail = await thumbnailWebp(canvas, options.thumbnailWidth).catch(() => undefined);
  return { text, textSource: 'ocr', pageCount: 1, thumbnail, notes };
}
