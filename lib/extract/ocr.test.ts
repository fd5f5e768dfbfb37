import { afterAll, describe, expect, it } from 'vitest';
import { renderPage } from '../../tests/helpers/scans.js';
import { checkOcrConfig, OcrTimeoutError, ocrLanguageProblems, recognise, terminateOcr } from './ocr.js';
import { greyPgm } from './raster.js';

afterAll(() => terminateOcr());

describe('OCR_LANGUAGES', () => {
  it('accepts languages whose data package is installed', () => {
    expect(ocrLanguageProblems(['eng'])).toEqual([]);
    expect(() => checkOcrConfig({ OCR_LANGUAGES: ['eng'] })).not.toThrow();
  });

  it('refuses a language whose package is not installed, saying which package to install', () => {
    expect(() => checkOcrConfig({ OCR_LANGUAGES: ['eng', 'deu'] })).toThrow(
      'Invalid configuration:\n  - OCR_LANGUAGES: OCR language "deu" is not installed: npm install @tesseract.js-data/deu',
    );
  });
});

describe('recognise', () => {
  it('gives up a page that takes longer than its timeout, and the next page gets a new worker', async () => {
    const page = greyPgm(renderPage(['A page that has to wait'], { dpi: 150 }));

    await expect(recognise(page, { languages: ['eng'], timeoutMs: 1 })).rejects.toBeInstanceOf(
      OcrTimeoutError,
    );
    const text = await recognise(page, { languages: ['eng'], timeoutMs: 60_000 });

    expect(text).toContain('A page that has to wait');
  }, 60_000);
});
