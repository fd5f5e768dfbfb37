import { describe, expect, it } from 'vitest';
import { authorize, type Caller } from '../auth/auth.js';
import { ForbiddenError } from '../platform/errors.js';
import { API_KEY_SCOPES } from '../platform/route.js';
import { KEY_PREFIX_LENGTH, newKeySecret, secretSha256 } from './keys.js';

describe('a key secret', () => {
  it('is kite_ and 43 base62 characters, different every time', () => {
    const secrets = Array.from({ length: 200 }, newKeySecret);
    for (const secret of secrets) expect(secret).toMatch(/^kite_[0-9A-Za-z]{43}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
    expect(KEY_PREFIX_LENGTH).toBe(8);
  });

  it('is stored as its 32-byte SHA-256', () => {
    const digest = secretSha256('kite_abc');
    expect(digest).toHaveLength(32);
    expect(digest.toString('hex')).toBe('9263a4e73c030eb8008e5362ab6f117eeb961927d823fc2a1f7ec8752f8fc9c3');
  });
});

const session: Caller = {
  userId: 'u',
  email: null,
  isAdmin: false,
  credential: 'session',
  scopes: API_KEY_SCOPES,
};
const key = (scopes: Caller['scopes'], isAdmin = false): Caller => ({
  ...session,
  credential: 'key',
  scopes,
  isAdmin,
  keyId: 'k',
});

describe('authorize', () => {
  it('lets a session call every scope, and session-only routes', () => {
    for (const scope of [...API_KEY_SCOPES.filter((s) => s !== 'admin'), 'any', 'session'] as const) {
      expect(() => authorize(session, { scope })).not.toThrow();
    }
  });

  it('lets a key call what its scopes cover and nothing else', () => {
    const reader = key(['documents:read']);
    expect(() => authorize(reader, { scope: 'documents:read' })).not.toThrow();
    expect(() => authorize(reader, { scope: 'any' })).not.toThrow();
    expect(() => authorize(reader, { scope: 'documents:write' })).toThrow(ForbiddenError);
    expect(() => authorize(reader, { scope: 'topics:read' })).toThrow(ForbiddenError);
  });

  it('never lets a key onto a session-only route, whatever its scopes', () => {
    expect(() => authorize(key(API_KEY_SCOPES, true), { scope: 'session' })).toThrow(/session/);
  });

  it('needs both the admin scope and an admin user for admin routes', () => {
    const route = { scope: 'admin', admin: true } as const;
    expect(() => authorize(key(['admin'], true), route)).not.toThrow();
    expect(() => authorize(key(['admin'], false), route)).toThrow(/admins/);
    expect(() => authorize(key(['documents:read'], true), route)).toThrow(/admin scope/);
    expect(() => authorize(session, route)).toThrow(/admins/);
    expect(() => authorize({ ...session, isAdmin: true }, route)).not.toThrow();
  });
});
