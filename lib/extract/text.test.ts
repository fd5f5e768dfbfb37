import { describe, expect, it } from 'vitest';
import { buildPdf } from '../../tests/helpers/pdf.js';
import { extractText, textKind } from './text.js';

describe('textKind', () => {
  it.each([
    ['application/pdf', 'pdf'],
    ['Application/PDF', 'pdf'],
    ['text/plain', 'text'],
    ['text/markdown; charset=utf-8', 'text'],
    ['text/csv', 'text'],
    ['image/png', 'none'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'none'],
  ])('%s → %s', (contentType, source) => {
    expect(textKind(contentType)).toBe(source);
  });
});

describe('extractText', () => {
  it('reads the text of every page of a PDF', async () => {
    const pdf = buildPdf([
      ['Invoice 2024-117', 'Total due: 120 EUR (VAT included)'],
      ['Page two: payment terms'],
    ]);

    const text = await extractText(pdf, 'pdf', 8000);

    expect(text).toContain('Invoice 2024-117');
    expect(text).toContain('Total due: 120 EUR (VAT included)');
    expect(text).toContain('Page two: payment terms');
  });

  it('stops reading a PDF once it has enough text', async () => {
    const pages = Array.from({ length: 20 }, (_, page) => [`Page ${page + 1} ${'x'.repeat(200)}`]);

    const text = await extractText(buildPdf(pages), 'pdf', 300);

    expect(text.length).toBe(300);
    expect(text.startsWith('Page 1 ')).toBe(true);
  });

  it('gives no text for bytes that are not a PDF instead of failing', async () => {
    expect(await extractText(new TextEncoder().encode('%PDF-1.7 garbage'), 'pdf', 100)).toBe('');
  });

  it('decodes text/* as UTF-8 and caps it at maxChars', async () => {
    const bytes = new TextEncoder().encode('Grüße aus Köln — 東京 🙂 and more');

    expect(await extractText(bytes, 'text', 1000)).toBe('Grüße aus Köln — 東京 🙂 and more');
    expect(await extractText(bytes, 'text', 5)).toBe('Grüße');
  });

  it('never ends on half a surrogate pair', async () => {
    const text = await extractText(new TextEncoder().encode('ab🙂cd'), 'text', 3);
    expect(text).toBe('ab');
  });

  it('drops control characters and collapses whitespace', async () => {
    const bytes = new TextEncoder().encode('a\u0000b\u0007  \t c\r\n\n\n\nd');
    expect(await extractText(bytes, 'text', 100)).toBe('ab c\n\nd');
  });

  it('extracts nothing from other types: the filename is all the model gets', async () => {
    expect(await extractText(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'none', 100)).toBe('');
  });
});
