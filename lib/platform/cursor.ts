import { ValidationError } from './errors.js';

/**
 * Keyset paging, the one way every list pages (docs/api.md "API"): a page's `nextCursor` is the opaque position of its
 * last row, and each kind of list has its own cursor below. Cursors are base64url and not signed; tampering only
 * moves the position, and anything kite could not have issued is a 400, never a database error.
 */
export interface Page<Row> {
  rows: Row[];
  nextCursor: string | null;
}

/**
 * One page: `fetch` is asked for one row more than `limit`, which tells whether a next page exists without a count
 * query, so the last page never hands out a cursor to nothing.
 */
export async function fetchPage<Row>(
  limit: number,
  fetch: (limit: number) => Promise<Row[]>,
  cursorOf: (last: Row) => string,
): Promise<Page<Row>> {
  const rows = await fetch(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/**
 * The keyset position of the last document on a page. `createdAt` is Postgres' timestamp as text with all six
 * fractional digits ("2025-06-01T12:00:00.123456Z"): a JS Date keeps milliseconds only, so it could not round-trip
 * the ordering value exactly and rows would be skipped or repeated at page boundaries.
 */
export interface DocumentCursor {
  createdAt: string;
  id: string;
}

/** Far longer than any cursor we issue (~110 characters); anything longer is not ours. */
export const MAX_CURSOR_LENGTH = 256;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** base64url of a small JSON object. */
export function encodeDocumentCursor(cursor: DocumentCursor): string {
  return Buffer.from(JSON.stringify({ c: cursor.createdAt, i: cursor.id }), 'utf8').toString('base64url');
}

export function decodeDocumentCursor(value: string): DocumentCursor {
  const { c, i, ...rest } = cursorFields(value);
  if (Object.keys(rest).length > 0) throw invalidCursor();
  return position(c, i);
}

/** A search results position: the document cursor plus the rank, as Postgres printed the real. */
export interface SearchCursor extends DocumentCursor {
  rank: string;
}

// Postgres prints a real in its shortest exact form: "0.0607927", "1e-20", "0".
const RANK = /^(0|[1-9]\d{0,37})(\.\d{1,12})?(e[+-]?\d{1,2})?$/;

export function encodeSearchCursor(cursor: SearchCursor): string {
  const fields = { r: cursor.rank, c: cursor.createdAt, i: cursor.id };
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

/** Decodes a search cursor; a document list cursor (no rank) or anything else we could not have issued is a 400. */
export function decodeSearchCursor(value: string): SearchCursor {
  const { r, c, i, ...rest } = cursorFields(value);
  if (Object.keys(rest).length > 0 || typeof r !== 'string' || !RANK.test(r)) throw invalidCursor();
  return { rank: r, ...position(c, i) };
}

/** The admin users list's position: base64url of the last user id (ids are the tokens' `sub`, up to 255 characters). */
export function encodeUserCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

const USER_CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

export function decodeUserCursor(value: string): string {
  const id = USER_CURSOR.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : '';
  if (id === '' || id.length > 255 || encodeUserCursor(id) !== value) throw invalidCursor();
  return id;
}

function invalidCursor(): ValidationError {
  return new ValidationError('The cursor is invalid', [{ path: 'cursor', message: 'invalid' }]);
}

function cursorFields(value: string): Record<string, unknown> {
  if (value.length === 0 || value.length > MAX_CURSOR_LENGTH || !BASE64URL.test(value)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  return parsed as Record<string, unknown>;
}

function position(c: unknown, i: unknown): DocumentCursor {
  if (typeof c !== 'string' || typeof i !== 'string' || !UUID.test(i) || !isRealTimestamp(c)) {
    throw invalidCursor();
  }
  return { createdAt: c, id: i };
}

/** Well-formed and an actual instant (no 30 February, no hour 24), within years Postgres and Date share. */
function isRealTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  if (year < 1) return false;
  const date = new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), 0, 0, 0));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  date.setUTCHours(Number(match[4]), Number(match[5]), Number(match[6]));
  return date.toISOString().slice(0, 19) === value.slice(0, 19);
}
