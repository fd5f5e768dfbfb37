import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Canvas } from '@napi-rs/canvas';
import { assetsFolder } from './ocr.js';

/**
 * Pixels for OCR and thumbnails (docs/operations.md "Text from scans and photos"): PDF pages rendered in process by
 * pdf.js (its legacy build: the modern one needs DOMMatrix, which Node 20 lacks) onto @napi-rs/canvas, and images
 * decoded by the same canvas, which applies their EXIF orientation (tesseract.js reads only big-endian EXIF).
 * Both are imported on first use: only the extract function loads them.
 */

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
export type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

let pdfjsLoaded: Promise<PdfJs> | undefined;

/** pdf.js with its worker code in this thread (Node has no pdf.js web worker; the bundle carries the module). */
function pdfjs(): Promise<PdfJs> {
  pdfjsLoaded ??= (async () => {
    const worker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfjsLoaded;
}

const canvasModule = () => import('@napi-rs/canvas');

/** pdf.js's standard fonts (Helvetica & co. for PDFs that do not embed them): no system fonts on Lambda. */
function standardFontFolder(): string {
  const assets = assetsFolder();
  if (assets) return `${join(assets, 'standard_fonts')}/`;
  return `${join(createRequire(__filename).resolve('pdfjs-dist/package.json'), '..', 'standard_fonts')}/`;
}

/** Opens a PDF; throws when the bytes are not one pdf.js can read. The caller destroys it. */
export async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  const { getDocument } = await pdfjs();
  return getDocument({
    // pdf.js takes ownership of the buffer it is given: hand it a copy. No eval: the input is untrusted.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    standardFontDataUrl: standardFontFolder(),
    verbosity: 0,
  }).promise;
}

export interface PageText {
  text: string;
}

/** The text layer of one page (1-based). */
export async function pdfPageText(pdf: PdfDocument, number: number): Promise<string> {
  const page = await pdf.getPage(number);
  try {
    const content = await page.getTextContent();
    return content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
  } finally {
    page.cleanup();
  }
}

/** One page drawn on a white canvas at `dpi`, or `width` pixels wide when given; capped at `maxPixels`. */
export async function renderPdfPage(
  pdf: PdfDocument,
  number: number,
  size: { dpi: number } | { width: number },
  maxPixels = 40_000_000,
): Promise<Canvas> {
  const { createCanvas } = await canvasModule();
  const page = await pdf.getPage(number);
  try {
    const base = page.getViewport({ scale: 1 });
    let scale = 'dpi' in size ? size.dpi / 72 : size.width / base.width;
    const pixels = base.width * base.height * scale * scale;
    if (pixels > maxPixels) scale *= Math.sqrt(maxPixels / pixels);
    const viewport = page.getViewport({ scale });
    const canvas = createCanvas(
      Math.max(1, Math.ceil(viewport.width)),
      Math.max(1, Math.ceil(viewport.height)),
    );
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    // pdf.js's types name the DOM's canvas; @napi-rs/canvas implements what it draws with.
    const target = { canvas, canvasContext: context, viewport } as unknown as Parameters<
      typeof page.render
    >[0];
    await page.render(target).promise;
    return canvas;
  } finally {
    page.cleanup();
  }
}

/**
 * An image file (PNG, JPEG, WebP, GIF, AVIF) on a canvas, turned upright by its EXIF orientation, on white (a
 * transparent PNG's text would otherwise be black on black), at most `maxSide` pixels on its longer side.
 * Throws when the bytes cannot be decoded.
 */
export async function decodeImage(bytes: Uint8Array, maxSide: number): Promise<Canvas> {
  const { createCanvas, loadImage } = await canvasModule();
  const image = await loadImage(Buffer.from(bytes));
  if (!image.width || !image.height) throw new Error('the image has no pixels');
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  if (scale === 1) {
    const canvas = createCanvas(width, height);
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.drawImage(image, 0, 0);
    return canvas;
  }
  const full = createCanvas(image.width, image.height);
  const context = full.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, image.width, image.height);
  context.drawImage(image, 0, 0);
  return downscale(full, width);
}

/** An 8-bit grey PGM (P5) of the canvas: what tesseract reads fastest (a PNG costs 0.9–2 s to encode). */
export function greyPgm(canvas: Canvas): Uint8Array {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'ascii');
  const out = new Uint8Array(header.length + width * height);
  out.set(header, 0);
  for (let i = 0, o = header.length; i < rgba.length; i += 4, o++) {
    // ITU-R BT.601 luma, in integers.
    out[o] =
      ((rgba[i] as number) * 299 + (rgba[i + 1] as number) * 587 + (rgba[i + 2] as number) * 114) / 1000;
  }
  return out;
}

/**
 * The canvas scaled to `width` (never up), halving step by step: one drawImage from a large image aliases badly
 * (a 2550 px scan to 400 px in one step turns text into noise).
 */
export async function downscale(source: Canvas, width: number): Promise<Canvas> {
  const { createCanvas } = await canvasModule();
  let current = source;
  while (current.width > width) {
    const next = Math.max(width, Math.ceil(current.width / 2));
    const height = Math.max(1, Math.round((current.height * next) / current.width));
    const canvas = createCanvas(next, height);
    const context = canvas.getContext('2d');
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(current, 0, 0, next, height);
    current = canvas;
  }
  return current;
}

/** A WebP thumbnail about `width` px wide (never upscaled), quality 80. */
export async function thumbnailWebp(source: Canvas, width: number): Promise<Uint8Array> {
  const small = await downscale(source, width);
  return new Uint8Array(await small.encode('webp', 80));
}
