import { describe, expect, it } from 'vitest';
import { fitSnippet, readHeadline, SNIPPET_MAX_CHARS, searchSnippet } from './snippet.js';

// ts_headline's output as lib/search/search.queries.ts asks for it: \u0002 … \u0003 around matches, `<` swapped for \u0001.
const mark = (word: string) => `\u0002${word}\u0003`;
const marked = (snippet: { snippet: string; highlights: [number, number][] }) =>
  snippet.highlights.map(([start, end]) => snippet.snippet.slice(start, end));

describe('reading a headline', () => {
  it('turns marks into offsets of the plain text', () => {
    const result = readHeadline(`The ${mark('invoice')} for March is ${mark('due')}.`);
    expect(result.snippet).toBe('The invoice for March is due.');
    expect(result.highlights).toEqual([
      [4, 11],
      [25, 28],
    ]);
  });

  it('gives markup back as text, with offsets that still point at the words', () => {
    const result = readHeadline(`\u0001script>alert("x")\u0001/script> ${mark('invoice')} &amp; <b>`);
    expect(result.snippet).toBe('<script>alert("x")</script> invoice &amp; <b>');
    expect(marked(result)).toEqual(['invoice']);
  });

  it('counts offsets in UTF-16 code units, as JavaScript strings do', () => {
    const result = readHeadline(`😀 naïve ${mark('Überweisung')} 𝄞 ${mark('fällig')}`);
    expect(result.snippet).toBe('😀 naïve Überweisung 𝄞 fällig');
    expect(result.highlights[0]).toEqual([9, 20]);
    expect(marked(result)).toEqual(['Überweisung', 'fällig']);
  });

  it('collapses whitespace and newlines to single spaces, offsets following', () => {
    const result = readHeadline(`\n  Total:\t\t${mark('84.20')}\n\nEUR  `);
    expect(result.snippet).toBe('Total: 84.20 EUR');
    expect(marked(result)).toEqual(['84.20']);
  });

  it('marks each word of a phrase on its own', () => {
    const result = readHeadline(`a ${mark('quarterly')} ${mark('report')} b`);
    expect(result.highlights).toEqual([
      [2, 11],
      [12, 18],
    ]);
  });

  it('turns the filename separators back', () => {
    const result = readHeadline(`${mark('q3')}\u0005${mark('report')}\u0006final\u0004pdf`);
    expect(result.snippet).toBe('q3_report-final.pdf');
    expect(marked(result)).toEqual(['q3', 'report']);
  });
});

describe('fitting a snippet', () => {
  const words = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `word${from + i}`).join(' ');

  it('keeps a short snippet as it is', () => {
    const input = { snippet: 'short text', highlights: [[0, 5]] as [number, number][] };
    expect(fitSnippet(input)).toEqual(input);
  });

  it('cuts a long one to at most 300 characters around the first match, at word boundaries', () => {
    const text = `${words(0, 100)} invoice ${words(100, 100)}`;
    const start = text.indexOf('invoice');
    const result = fitSnippet({ snippet: text, highlights: [[start, start + 7]] });
    expect(result.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(result.snippet.length).toBeGreaterThan(SNIPPET_MAX_CHARS - 80);
    expect(marked(result)).toEqual(['invoice']);
    expect(text).toContain(result.snippet);
    expect(result.snippet).toMatch(/^word\d+ .* word\d+$/);
  });

  it('never splits a surrogate pair at either edge', () => {
    const text = '😀'.repeat(400);
    const result = fitSnippet({ snippet: text, highlights: [[400, 402]] });
    expect(result.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(result.snippet).toMatch(/^(😀)+$/u);
    expect(marked(result)).toEqual(['😀']);
  });

  it('clips a match longer than the window to what is shown', () => {
    const long = 'x'.repeat(500);
    const result = fitSnippet({ snippet: `a ${long} b`, highlights: [[2, 502]] });
    expect(result.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(result.highlights).toHaveLength(1);
    const [start, end] = result.highlights[0] as [number, number];
    expect(result.snippet.slice(start, end)).toMatch(/^x+$/);
  });
});

describe('choosing the snippet of a hit', () => {
  it('takes the text when the text matched', () => {
    const result = searchSnippet(`paid ${mark('invoice')}`, `${mark('invoice')}\u0004pdf`);
    expect(result.snippet).toBe('paid invoice');
  });

  it('takes the filename when only the filename matched', () => {
    const result = searchSnippet('the beginning of the text', `${mark('holiday')}\u0004png`);
    expect(result).toEqual({ snippet: 'holiday.png', highlights: [[0, 7]] });
  });

  it('takes the filename when there is no text, and the text when nothing is marked', () => {
    expect(searchSnippet('', 'scan.png').snippet).toBe('scan.png');
    expect(searchSnippet('some text', 'scan.png')).toEqual({ snippet: 'some text', highlights: [] });
  });
});
