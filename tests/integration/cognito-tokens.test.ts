import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { handler as adminUsersHandler } from '../../functions/admin-users.js';
import { handler as meHandler } from '../../functions/me.js';
import { createAuthenticator, createVerifier } from '../../lib/auth/auth.js';
import { config, loadConfig } from '../../lib/platform/config.js';
import { closeDb } from '../../lib/platform/db/client.js';
import { UnauthorizedError } from '../../lib/platform/errors.js';
import { DEV_ONLY_JWT_SECRET, signDevToken } from '../../local/token.js';
import { call } from '../helpers/api.js';

/**
 * The functions as the AWS stack configures them when it creates the user pool (docs/deploy.md "Signing in"):
 * JWKS_URL, JWT_ISSUER and JWT_CLIENT_ID of the pool and its app client, no JWT_SECRET. Tokens are shaped like
 * Cognito's access tokens (RS256, `client_id` and no `aud`, `token_use: access`, `cognito:groups`) and signed by
 * a key this file serves as the pool's JWKS.
 */
const pool = await vi.hoisted(async () => {
  const { createServer } = await import('node:http');
  const { exportJWK, generateKeyPair } = await import('jose');
  const { configure } = await import('../helpers/env.js');
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'pool-key-1', alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    if (req.url !== '/us-east-1_TestPool/.well-known/jwks.json') return void res.writeHead(404).end();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}/us-east-1_TestPool`;
  const clientId = '4example0client0id0abcdefgh';
  configure({
    JWT_SECRET: '',
    JWKS_URL: `${issuer}/.well-known/jwks.json`,
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: '',
    JWT_CLIENT_ID: clientId,
  });
  return { server, privateKey, issuer, clientId };
});

afterAll(async () => {
  await closeDb();
  pool.server.close();
});

/** A Cognito user pool access token, claim for claim, with whatever the test overrides. */
async function accessToken(overrides: Record<string, unknown> = {}, key = pool.privateKey): Promise<string> {
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  const sub = randomUUID();
  const claims: Record<string, unknown> = {
    sub,
    iss: pool.issuer,
    version: 2,
    client_id: pool.clientId,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'openid profile email',
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: sub,
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'pool-key-1' }).sign(key);
}

const authenticate = createAuthenticator(createVerifier(config()));

describe('Cognito access tokens (JWKS_URL + JWT_ISSUER + JWT_CLIENT_ID)', () => {
  it('accepts the app client’s access token; the sub is the user', async () => {
    const sub = randomUUID();
    expect(await authenticate(await accessToken({ sub }))).toMatchObject({
      userId: sub,
      email: null,
      isAdmin: false,
      credential: 'session',
    });
  });

  it('makes members of the admin group admins, and only them', async () => {
    expect(await authenticate(await accessToken({ 'cognito:groups': ['admin'] }))).toMatchObject({
      isAdmin: true,
    });
    expect(await authenticate(await accessToken({ 'cognito:groups': ['staff', 'admin'] }))).toMatchObject({
      isAdmin: true,
    });
    for (const groups of [['staff'], [], 'admin', ['Admin']]) {
      expect(
        await authenticate(await accessToken({ 'cognito:groups': groups })),
        JSON.stringify(groups),
      ).toMatchObject({ isAdmin: false });
    }
  });

  it('keeps the role claim working (other providers, npm run token)', async () => {
    expect(await authenticate(await accessToken({ role: 'admin' }))).toMatchObject({ isAdmin: true });
  });

  const refused: [string, () => Promise<string>][] = [
    ['another app client', () => accessToken({ client_id: 'another0client0id0abcdefghi' })],
    ['no client_id', () => accessToken({ client_id: undefined })],
    [
      'an ID token (aud, no client_id)',
      () => accessToken({ client_id: undefined, aud: pool.clientId, token_use: 'id' }),
    ],
    ['another pool (issuer)', () => accessToken({ iss: pool.issuer.replace('TestPool', 'OtherPool') })],
    ['no issuer', () => accessToken({ iss: undefined })],
    [
      'a key the pool does not publish',
      async () => accessToken({}, (await (await import('jose')).generateKeyPair('RS256')).privateKey),
    ],
    ['an expired token', () => accessToken({ exp: Math.floor(Date.now() / 1000) - 60 })],
    [
      'an HS256 dev token signed with the local secret',
      () => signDevToken(randomUUID(), { admin: true, secret: DEV_ONLY_JWT_SECRET }),
    ],
  ];
  for (const [name, token] of refused) {
    it(`refuses ${name}`, async () => {
      await expect(authenticate(await token())).rejects.toThrow(UnauthorizedError);
    });
  }

  it('checks client_id only when JWT_CLIENT_ID is set (JWT_AUDIENCE is for providers that use aud)', async () => {
    const { JWT_CLIENT_ID: _, ...withoutClient } = process.env;
    const verify = createVerifier(loadConfig(withoutClient));
    await expect(verify(await accessToken({ client_id: 'any-client' }))).resolves.toMatchObject({
      client_id: 'any-client',
    });
  });
});

describe('the routes with the stack’s user pool', () => {
  it('GET /api/me answers a pool user; the first request creates them', async () => {
    const sub = randomUUID();
    const result = await call(meHandler, { token: await accessToken({ sub }) });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: sub, email: null, role: 'user' });
    const admin = await call(meHandler, { token: await accessToken({ 'cognito:groups': ['admin'] }) });
    expect(admin.body).toMatchObject({ role: 'admin' });
  });

  it('admin routes take the admin group and refuse other users with 403', async () => {
    const admin = await call(adminUsersHandler, {
      method: 'GET',
      path: '/api/admin/users',
      token: await accessToken({ 'cognito:groups': ['admin'] }),
    });
    expect(admin.status).toBe(200);
    const user = await call(adminUsersHandler, {
      method: 'GET',
      path: '/api/admin/users',
      token: await accessToken({ 'cognito:groups': ['staff'] }),
    });
    expect(user.status).toBe(403);
  });

  it('another client’s token is a 401 with the contract body', async () => {
    const result = await call(meHandler, { token: await accessToken({ client_id: 'someone-else' }) });
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      error: { code: 'unauthorized', message: 'Invalid token', requestId: expect.any(String) },
    });
  });
});
