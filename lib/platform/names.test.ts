import { describe, expect, it } from 'vitest';
import {
  checkTopicName,
  hasNonWhitespaceControlChars,
  normaliseTopicName,
  TOPIC_NAME_MAX,
  topicNameKey,
} from './names.js';

describe('normaliseTopicName (routes and classification)', () => {
  it('trims and collapses internal whitespace', () => {
    expect(normaliseTopicName('  Home   Office  ')).toBe('Home Office');
  });

  it('turns tabs and newlines into single spaces rather than gluing words together', () => {
    expect(normaliseTopicName('Home\tOffice')).toBe('Home Office');
    expect(normaliseTopicName('Home\r\n\n Office\n')).toBe('Home Office');
  });

  it('drops the other control characters, as classification needs for AI output', () => {
    expect(normaliseTopicName('Ta\u0000xe\u0007s\u001b')).toBe('Taxes');
    expect(normaliseTopicName('a \u0000 b')).toBe('a b');
  });

  it('composes to NFC so the same visible name is the same name', () => {
    expect(normaliseTopicName('Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('refuses what is empty, too long or not a string', () => {
    expect(normaliseTopicName('')).toBeUndefined();
    expect(normaliseTopicName(' \t\n ')).toBeUndefined();
    expect(normaliseTopicName('\u0000\u0007')).toBeUndefined();
    expect(normaliseTopicName('a'.repeat(TOPIC_NAME_MAX + 1))).toBeUndefined();
    for (const value of [42, null, undefined, [], {}]) expect(normaliseTopicName(value)).toBeUndefined();
  });

  it('accepts exactly 64 characters, measured after normalisation', () => {
    expect(normaliseTopicName('a'.repeat(TOPIC_NAME_MAX))).toBe('a'.repeat(TOPIC_NAME_MAX));
    expect(normaliseTopicName(`   ${'a'.repeat(TOPIC_NAME_MAX)}   `)).toBe('a'.repeat(TOPIC_NAME_MAX));
  });
});

describe('topicNameKey', () => {
  it('makes names that differ only in case and spacing collide', () => {
    expect(topicNameKey(' TAXES ')).toBe(topicNameKey('taxes'));
    expect(topicNameKey('Home  office')).toBe(topicNameKey('home Office'));
  });
});

describe('checkTopicName (the strict form for routes)', () => {
  it('returns the normalised name', () => {
    expect(checkTopicName('  Home \t Office ')).toEqual({ ok: true, name: 'Home Office' });
  });

  it.each([
    ['a non-string', 42, 'name must be a string'],
    ['null', null, 'name must be a string'],
    ['an array', [], 'name must be a string'],
    ['an empty string', '', 'name must not be empty'],
    ['only whitespace', ' \t\n ', 'name must not be empty'],
    ['65 characters', 'a'.repeat(65), 'name must be at most 64 characters'],
    ['a NUL', 'a\u0000b', 'name must not contain control characters'],
    ['a BEL', 'a\u0007', 'name must not contain control characters'],
    ['an escape sequence', '\u001b[31mred', 'name must not contain control characters'],
    ['a C1 control', 'a\u0085b', 'name must not contain control characters'],
  ])('refuses %s', (_, value, message) => {
    expect(checkTopicName(value)).toEqual({ ok: false, message });
  });

  it('tells control characters apart from ordinary whitespace', () => {
    expect(hasNonWhitespaceControlChars('a\tb\nc\r\n')).toBe(false);
    expect(hasNonWhitespaceControlChars('a\u0000b')).toBe(true);
  });
});
