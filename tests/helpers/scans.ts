import { dirname, join } from 'node:path';
import { type Canvas, createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { buildPdf, type PdfPage } from './pdf.js';

/**
 * Paper made in code, for the OCR tests and bench: letter-like pages rendered to pixels (as a scanner or a phone
 * would give them), with optional rotation and noise, as JPEG or PNG, or wrapped into image-only PDFs.
 */

export interface PageOptions {
  /** Pixels per inch of a US Letter page (8.5 × 11 in). */
  dpi?: number;
  /** Degrees the sheet lies askew (a photo). */
  skewDegrees?: number;
  /** 0..1: share of pixels turned to random grey, as sensor noise. */
  noise?: number;
  /** Seed for the noise, so a test's page is the same every run. */
  seed?: number;
  fontPx?: number;
}

const FONT = 'Kite Test Sans';
let fontRegistered = false;

/**
 * The font pages are drawn in: Liberation Sans from pdf.js's standard fonts (an npm file), registered under a name
 * of its own, so the pages are the same on every machine and need no system font package.
 */
function family(): string {
  if (!fontRegistered) {
    const file = join(
      dirname(require.resolve('pdfjs-dist/package.json')),
      'standard_fonts',
      'LiberationSans-Regular.ttf',
    );
    if (!GlobalFonts.registerFromPath(file, FONT)) throw new Error(`could not register ${file}`);
    fontRegistered = true;
  }
  return FONT;
}

/** A page with these lines, black on white, like a printed letter scanned at `dpi`. */
export function renderPage(lines: readonly string[], options: PageOptions = {}): Canvas {
  const dpi = options.dpi ?? 200;
  const width = Math.round(8.5 * dpi);
  const height = Math.round(11 * dpi);
  const canvas = createCanvas(width, height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  const fontPx = options.fontPx ?? Math.round((12 / 72) * dpi);
  context.save();
  if (options.skewDegrees) {
    context.translate(width / 2, height / 2);
    context.rotate((options.skewDegrees * Math.PI) / 180);
    context.translate(-width / 2, -height / 2);
  }
  context.fillStyle = '#111111';
  context.font = `${fontPx}px "${family()}"`;
  lines.forEach((line, row) => {
    context.fillText(line, dpi, dpi + row * fontPx * 1.6);
  });
  context.restore();
  if (options.noise) addNoise(canvas, options.noise, options.seed ?? 1);
  return canvas;
}

function addNoise(canvas: Canvas, amount: number, seed: number): void {
  const context = canvas.getContext('2d');
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: deterministic noise.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let i = 0; i < image.data.length; i += 4) {
    if (random() < amount) {
      const grey = Math.floor(random() * 256);
      image.data[i] = grey;
      image.data[i + 1] = grey;
      image.data[i + 2] = grey;
    }
  }
  context.putImageData(image, 0, 0);
}

/** The canvas turned by a quarter turn clockwise, as a phone stores a photo taken sideways. */
export function rotateQuarter(source: Canvas): Canvas {
  const canvas = createCanvas(source.height, source.width);
  const context = canvas.getContext('2d');
  context.translate(canvas.width, 0);
  context.rotate(Math.PI / 2);
  context.drawImage(source, 0, 0);
  return canvas;
}

export function jpeg(canvas: Canvas, quality = 85): Uint8Array {
  return new Uint8Array(canvas.toBuffer('image/jpeg', quality));
}

export function png(canvas: Canvas): Uint8Array {
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/**
 * A JPEG with an EXIF Orientation tag (APP1, little-endian TIFF, as phones write it): `orientation` 6 says
 * "turn 90° clockwise to view", so pass pixels turned 90° counter-clockwise to get an upright page.
 */
export function withExifOrientation(jpegBytes: Uint8Array, orientation: number): Uint8Array {
  const tiff = Buffer.alloc(26);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(0x0112, 10);
  tiff.writeUInt16LE(3, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  const bytes = Buffer.from(jpegBytes);
  return new Uint8Array(Buffer.concat([bytes.subarray(0, 2), segment, body, bytes.subarray(2)]));
}

/** A PDF whose pages are the given scans (JPEG images, no text layer) or lines of real text. */
export function scannedPdf(pages: readonly (Canvas | readonly string[])[]): Uint8Array {
  const specs: PdfPage[] = pages.map((page) =>
    Array.isArray(page)
      ? page
      : { jpeg: jpeg(page as Canvas, 80), width: (page as Canvas).width, height: (page as Canvas).height },
  );
  return buildPdf(specs);
}

/** Share of the expected characters found in order (1 − edit distance / length), whitespace ignored. */
export function characterAccuracy(expected: string, actual: string): number {
  const a = expected.replace(/\s+/g, '');
  const b = actual.replace(/\s+/g, '');
  if (a.length === 0) return b.length === 0 ? 1 : 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return Math.max(0, 1 - (previous[b.length] as number) / a.length);
}

/** An uncompressed 8-bit grey TIFF (baseline, one strip, little-endian), as simple scanners write them. */
export function tiff(canvas: Canvas): Uint8Array {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const entries: [number, number, number][] = [
    [256, 4, width], // ImageWidth (LONG)
    [257, 4, height], // ImageLength
    [258, 3, 8], // BitsPerSample (SHORT)
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: BlackIsZero
    [273, 4, 0], // StripOffsets: filled in below
    [277, 3, 1], // SamplesPerPixel
    [278, 4, height], // RowsPerStrip
    [279, 4, width * height], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const out = Buffer.alloc(dataOffset + width * height);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(tag === 273 ? dataOffset : value, at + 8);
  });
  for (let i = 0, o = dataOffset; i < rgba.length; i += 4, o++) out[o] = rgba[i] as number;
  return new Uint8Array(out);
}
