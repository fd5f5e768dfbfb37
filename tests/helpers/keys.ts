import { handler as keysHandler } from '../../functions/keys.js';
import type { ApiKeyScope } from '../../lib/platform/route.js';
import { call } from './api.js';

export interface TestKey {
  id: string;
  /** The secret, `kite_…`: what a client sends as its bearer token. */
  secret: string;
}

/** A key created the way a person does it, with their session token (POST /api/keys). */
export async function newKey(
  sessionToken: string,
  scopes: readonly ApiKeyScope[],
  options: { name?: string; expiresAt?: string } = {},
): Promise<TestKey> {
  const result = await call(keysHandler, {
    method: 'POST',
    path: '/api/keys',
    token: sessionToken,
    body: { name: options.name ?? 'test key', scopes, ...options },
  });
  if (result.status !== 201) throw new Error(`POST /api/keys answered ${result.status}`);
  return { id: result.body.key.id, secret: result.body.secret };
}
