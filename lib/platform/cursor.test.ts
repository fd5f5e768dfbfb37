import { describe, expect, it } from 'vitest';
import {
  decodeDocumentCursor,
  decodeSearchCursor,
  decodeUserCursor,
  encodeDocumentCursor,
  encodeSearchCursor,
  encodeUserCursor,
  fetchPage,
  MAX_CURSOR_LENGTH,
} from './cursor.js';
import { ValidationError } from './errors.js';

const id = '0b9f3c1e-6f7a-4d2b-9c8e-1a2b3c4d5e6f';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('document cursors', () => {
  it('round-trip the timestamp with all six fractional digits', () => {
    const cursor = { createdAt: '2025-06-01T12:34:56.123456Z', id };
    expect(decodeDocumentCursor(encodeDocumentCursor(cursor))).toEqual(cursor);
  });

  it('are URL-safe and well under the length limit', () => {
    const encoded = encodeDocumentCursor({ createdAt: '2025-06-01T12:34:56.999999Z', id });
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded.length).toBeLessThan(MAX_CURSOR_LENGTH);
  });

  it('accept leap days and the edges of the day', () => {
    for (const createdAt of [
      '2024-02-29T00:00:00.000000Z',
      '1999-12-31T23:59:59.999999Z',
      '0001-01-01T00:00:00.000000Z',
      '9999-12-31T23:59:59.999999Z',
    ]) {
      expect(decodeDocumentCursor(b64({ c: createdAt, i: id })).createdAt).toBe(createdAt);
    }
  });

  const rejected: [string, string][] = [
    ['an empty string', ''],
    ['characters outside base64url', 'abc+/='],
    ['a longer string than we ever issue', 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
    ['base64 of non-JSON', Buffer.from('{nope').toString('base64url')],
    ['JSON null', b64(null)],
    ['a JSON string', b64('2025-06-01T12:34:56.123456Z')],
    ['a JSON array', b64(['2025-06-01T12:34:56.123456Z', id])],
    ['a missing id', b64({ c: '2025-06-01T12:34:56.123456Z' })],
    ['a non-uuid id', b64({ c: '2025-06-01T12:34:56.123456Z', i: 'abc' })],
    [
      'an upper-case id (we only issue lower case)',
      b64({ c: '2025-06-01T12:34:56.123456Z', i: id.toUpperCase() }),
    ],
    ['millisecond precision', b64({ c: '2025-06-01T12:34:56.123Z', i: id })],
    ['an offset instead of Z', b64({ c: '2025-06-01T12:34:56.123456+01:00', i: id })],
    ['29 February of a common year', b64({ c: '2025-02-29T00:00:00.000000Z', i: id })],
    ['month 13', b64({ c: '2025-13-01T00:00:00.000000Z', i: id })],
    ['hour 24', b64({ c: '2025-06-01T24:00:00.000000Z', i: id })],
    ['second 60', b64({ c: '2025-06-01T23:59:60.000000Z', i: id })],
    ['year 0', b64({ c: '0000-06-01T00:00:00.000000Z', i: id })],
    ['a number for a time', b64({ c: 1748781296123, i: id })],
    ['a search cursor (it carries a rank)', b64({ r: '0.1', c: '2025-06-01T12:34:56.123456Z', i: id })],
  ];
  for (const [name, value] of rejected) {
    it(`reject ${name} as a validation error`, () => {
      expect(() => decodeDocumentCursor(value)).toThrow(ValidationError);
    });
  }
});

describe('search cursors', () => {
  const at = '2025-06-01T12:34:56.123456Z';

  it('round-trip the rank exactly as Postgres printed it', () => {
    for (const rank of ['0.0607927', '0', '1e-20', '6.0792707e-05', '1.2']) {
      const cursor = { rank, createdAt: at, id };
      expect(decodeSearchCursor(encodeSearchCursor(cursor))).toEqual(cursor);
    }
  });

  const rejected: [string, string][] = [
    ['a document list cursor (no rank)', encodeDocumentCursor({ createdAt: at, id })],
    ['a numeric rank', b64({ r: 0.5, c: at, i: id })],
    ['a rank that is not a number', b64({ r: "0.5'::real or true --", c: at, i: id })],
    ['a negative rank', b64({ r: '-1', c: at, i: id })],
    ['NaN', b64({ r: 'NaN', c: at, i: id })],
    ['an extra field', b64({ r: '0.5', c: at, i: id, x: 1 })],
    ['a bad position', b64({ r: '0.5', c: '2025-02-29T00:00:00.000000Z', i: id })],
  ];
  for (const [name, value] of rejected) {
    it(`reject ${name} as a validation error`, () => {
      expect(() => decodeSearchCursor(value)).toThrow(ValidationError);
    });
  }
});

describe('user cursors', () => {
  it('round-trip any token subject up to 255 characters', () => {
    for (const sub of ['auth0|abc', 'ü-ñ 😀', 'x'.repeat(255)]) {
      expect(decodeUserCursor(encodeUserCursor(sub))).toBe(sub);
    }
  });

  it('reject what kite could not have issued with a 400', () => {
    for (const value of ['', '!!', encodeUserCursor('x'.repeat(256)), `${encodeUserCursor('abc')}=`]) {
      expect(() => decodeUserCursor(value), value).toThrow(ValidationError);
    }
  });
});

describe('fetchPage', () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ id: i }));
  const fetchFrom = (asked: number[]) => async (limit: number) => {
    asked.push(limit);
    return rows.slice(0, limit);
  };

  it('asks for one row more than the page and gives the cursor of the last row kept', async () => {
    const asked: number[] = [];
    const page = await fetchPage(3, fetchFrom(asked), (last) => `after-${last.id}`);
    expect(asked).toEqual([4]);
    expect(page).toEqual({ rows: rows.slice(0, 3), nextCursor: 'after-2' });
  });

  it('gives no cursor when nothing follows, even on an exactly full last page', async () => {
    expect(await fetchPage(5, fetchFrom([]), () => 'unused')).toEqual({ rows, nextCursor: null });
    expect(await fetchPage(9, fetchFrom([]), () => 'unused')).toEqual({ rows, nextCursor: null });
    expect(
      await fetchPage(
        2,
        async () => [],
        () => 'unused',
      ),
    ).toEqual({ rows: [], nextCursor: null });
  });
});
