import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { config } from '../config.js';
import { presignGet, presignPut, storageKey, userKeySegment } from './storage.js';

// Ids an IdP could put in `sub`: dot segments, separators, escapes, whitespace, unicode, control characters.
const HOSTILE_IDS = [
  '.',
  '..',
  '...',
  './',
  '../',
  '/..',
  '../../etc/passwd',
  'a/../b',
  '..\\..',
  '\\',
  '/',
  '//',
  '%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '%',
  '%25',
  ' ',
  '  ..  ',
  '\t',
  'a\u0000b',
  '\u202e..',
  'ü',
  'ﬀ',
  '\u2024\u2024',
  '😀',
  '?x=1',
  '#frag',
];

function keyParts(key: string) {
  const parts = key.split('/');
  return { parts, prefix: parts[0], segment: parts[1] ?? '', documentId: parts[2] };
}

describe('storage keys: whatever the user id, one segment under users/', () => {
  it.each(HOSTILE_IDS)('%j gives users/<one segment>/<documentId>/<name>', (userId) => {
    const documentId = randomUUID();
    const { parts, prefix, segment, documentId: third } = keyParts(storageKey(userId, documentId, 'f.txt'));
    expect(parts).toHaveLength(4);
    expect(prefix).toBe('users');
    expect(third).toBe(documentId);
    expect(segment).not.toBe('');
    expect(segment).not.toMatch(/^\.+$/);
    expect(segment).toMatch(/^[A-Za-z0-9\-_.!~*'()%]+$/);
    // Reversible, so two ids can never share a prefix.
    expect(decodeURIComponent(segment)).toBe(userId);
  });

  it.each(HOSTILE_IDS)('%j survives URL normalisation in the presigned PUT and GET', async (userId) => {
    const documentId = randomUUID();
    const key = storageKey(userId, documentId, 'f.txt');
    const bucket = config().S3_BUCKET;
    for (const url of [
      await presignPut(key, 'text/plain', 5).then((p) => p.url),
      await presignGet(key, 'f.txt'),
    ]) {
      // WHATWG URL parsing is what fetch and browsers apply: it resolves `.`/`..` (and %2e forms) in the path.
      const path = new URL(url).pathname.split('/');
      expect(path.slice(0, 3)).toEqual(['', bucket, 'users']);
      expect(path).toHaveLength(6);
      expect(decodeURIComponent(path[3] ?? '')).toBe(keyParts(key).segment);
      expect(path[4]).toBe(documentId);
    }
  });

  it('keeps the keys every ordinary id already had', () => {
    for (const userId of [
      'alice',
      `user-${randomUUID()}`,
      'a b',
      'ü',
      'a.b',
      '.hidden',
      'auth0|123',
      'x..y',
    ]) {
      expect(userKeySegment(userId)).toBe(encodeURIComponent(userId));
    }
  });

  it('encodes the dots of a dot segment', () => {
    expect(userKeySegment('.')).toBe('%2E');
    expect(userKeySegment('..')).toBe('%2E%2E');
  });
});
