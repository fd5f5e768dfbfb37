import { afterAll, describe, expect, it } from 'vitest';
import { buildPdf } from '../../tests/helpers/pdf.js';
import {
  characterAccuracy,
  jpeg,
  png,
  renderPage,
  rotateQuarter,
  scannedPdf,
  tiff,
  withExifOrientation,
} from '../../tests/helpers/scans.js';
import { type ContentOptions, extractContent, isGarbage } from './content.js';
import { terminateOcr } from './ocr.js';

// Documents made here (tests/helpers/scans.ts): scans rendered from known text, so what OCR reads can be checked.
const OPTIONS: ContentOptions = {
  maxChars: 100_000,
  languages: ['eng'],
  maxOcrPages: 50,
  pageTimeoutMs: 60_000,
  thumbnailWidth: 400,
};

const LETTER = [
  'Finanzamt Koeln Mitte',
  'Notice of assessment for the year 2025',
  'Your income tax refund amounts to 1,284.50 EUR',
  'Please keep this letter with your records.',
];

afterAll(() => terminateOcr());

describe('extractContent', () => {
  it('reads a three-page image-only scan with OCR, counts its pages and thumbnails page 1', async () => {
    const pages = [
      LETTER,
      ['Page two: the calculation', 'Taxable income 48,210 EUR'],
      ['Page three: how to appeal', 'Write to us within one month'],
    ];
    const pdf = scannedPdf(pages.map((lines) => renderPage(lines)));

    const content = await extractContent(pdf, 'application/pdf', OPTIONS);

    expect(content.textSource).toBe('ocr');
    expect(content.pageCount).toBe(3);
    expect(content.notes).toEqual([]);
    for (const line of pages.flat()) expect(content.text).toContain(line);
    expect(characterAccuracy(pages.flat().join(''), content.text)).toBeGreaterThan(0.98);
    expect(
      Buffer.from(content.thumbnail ?? [])
        .subarray(8, 12)
        .toString('latin1'),
    ).toBe('WEBP');
  }, 120_000);

  it('OCRs only the page without a text layer in a mixed PDF', async () => {
    const pdf = buildPdf([
      ['Contract of employment', 'Between Example GmbH and Jane Doe'],
      { jpeg: jpeg(renderPage(['Signed in Hamburg on 3 March 2026'])), width: 1700, height: 2200 },
    ]);

    const content = await extractContent(pdf, 'application/pdf', OPTIONS);

    expect(content.textSource).toBe('ocr');
    expect(content.pageCount).toBe(2);
    expect(content.text).toContain('Contract of employment');
    expect(content.text).toContain('Hamburg');
  }, 60_000);

  it('reads a photo: turned by its EXIF orientation, askew and noisy', async () => {
    const upright = renderPage(LETTER, { dpi: 200, skewDegrees: 2, noise: 0.01, seed: 7 });
    // Stored sideways with Orientation 6, as a phone does: the canvas must turn it upright before OCR.
    const sideways = rotateQuarter(rotateQuarter(rotateQuarter(upright)));
    const photo = withExifOrientation(jpeg(sideways, 80), 6);

    const content = await extractContent(photo, 'image/jpeg', OPTIONS);

    expect(content.textSource).toBe('ocr');
    expect(content.pageCount).toBe(1);
    // Noise reads as the odd stray mark between words; the letter's words come through.
    for (const phrase of [
      'Finanzamt Koeln Mitte',
      'Notice of assessment',
      'income tax refund amounts to 1,284.50',
      'keep this letter',
    ]) {
      expect(content.text).toContain(phrase);
    }
    expect(content.thumbnail).toBeDefined();
  }, 60_000);

  it("reads a TIFF (through tesseract's own decoder: no thumbnail)", async () => {
    const content = await extractContent(
      tiff(renderPage(['Fax received 12 May 2026'], { dpi: 150 })),
      'image/tiff',
      OPTIONS,
    );
    expect(content).toMatchObject({ textSource: 'ocr', pageCount: 1, thumbnail: undefined });
    expect(content.text).toContain('Fax received 12 May 2026');
  }, 60_000);

  it('reads a PNG', async () => {
    const content = await extractContent(png(renderPage(['Receipt 4711 total 12.30'])), 'image/png', OPTIONS);
    expect(content.text).toContain('Receipt 4711');
  }, 60_000);

  it('gives a damaged PDF no text and a readable error instead of failing', async () => {
    const pdf = buildPdf([['Hello']]).subarray(0, 200);

    const content = await extractContent(pdf, 'application/pdf', OPTIONS);

    expect(content.textSource).toBe('none');
    expect(content.notes).toEqual(['The file could not be read as a PDF (it is damaged or not a PDF)']);
  });

  it('does not trust the declared type: a "JPEG" that is really text gets no text and says why', async () => {
    const fake = new TextEncoder().encode('This is not a photo at all, just some words.\n');

    const content = await extractContent(fake, 'image/jpeg', OPTIONS);

    expect(content).toMatchObject({ textSource: 'none', pageCount: null, thumbnail: undefined });
    expect(content.notes).toEqual(['The file is not image/jpeg: its bytes look like text']);
  });

  it('OCRs at most OCR_MAX_PAGES pages of a long scan and says which were left', async () => {
    const page = renderPage(['Archive box 12'], { dpi: 72 });
    const pdf = scannedPdf(Array.from({ length: 60 }, () => page));

    const content = await extractContent(pdf, 'application/pdf', { ...OPTIONS, maxOcrPages: 3 });

    expect(content.pageCount).toBe(60);
    expect(content.textSource).toBe('ocr');
    expect(content.notes).toEqual([
      'OCR read 3 of 60 pages without text (OCR_MAX_PAGES is 3); pages 4-60 were not read',
    ]);
  }, 120_000);

  it('gives a damaged image no text and a readable error (the decoder must not take the process down)', async () => {
    const truncated = jpeg(renderPage(['Cut off'], { dpi: 72 })).subarray(0, 300);
    const badHeader = Buffer.concat([
      Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
      Buffer.alloc(2000, 9),
    ]);

    for (const [bytes, type] of [
      [truncated, 'image/jpeg'],
      [new Uint8Array(badHeader), 'image/png'],
    ] as const) {
      const content = await extractContent(bytes, type, OPTIONS);
      expect(content).toMatchObject({ textSource: 'none', thumbnail: undefined });
      expect(content.notes).toEqual(['The image could not be decoded (it is damaged or incomplete)']);
    }
  });

  it('takes a text file as it is', async () => {
    const content = await extractContent(new TextEncoder().encode('plain words'), 'text/plain', OPTIONS);
    expect(content).toMatchObject({ text: 'plain words', textSource: 'text', pageCount: null });
  });
});

describe('isGarbage', () => {
  it('spots a text layer of replacement and private-use characters', () => {
    expect(isGarbage('\uFFFD\uFFFD\uE001\uE002 \uE003\uE004ab')).toBe(true);
    expect(isGarbage('An ordinary line of text')).toBe(false);
  });
});
