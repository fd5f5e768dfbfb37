import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as meHandler } from '../../functions/me.js';
import { createAuthenticator, createVerifier, type Verifier } from '../../lib/auth/auth.js';
import { loadConfig } from '../../lib/platform/config.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { UnauthorizedError } from '../../lib/platform/errors.js';
import { API_KEY_SCOPES } from '../../lib/platform/route.js';
import { signDevToken } from '../../local/token.js';
import { call } from '../helpers/api.js';
import { newUser } from '../helpers/users.js';

afterAll(closeDb);

const secret = () => new TextEncoder().encode(process.env.JWT_SECRET);

async function userExists(id: string) {
  return (await db().selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

describe('every JWT failure is a 401 with the contract body and creates no user', () => {
  const cases: { name: string; header: (sub: string) => Promise<string | undefined> }[] = [
    { name: 'no Authorization header', header: async () => undefined },
    {
      name: 'a non-Bearer scheme',
      header: async (sub) => `Basic ${Buffer.from(`${sub}:x`).toString('base64')}`,
    },
    { name: 'a token that is not a JWT', header: async () => 'Bearer not.a.jwt' },
    {
      name: 'alg none',
      header: async (sub) => `Bearer ${new UnsecuredJWT({ role: 'admin' }).setSubject(sub).encode()}`,
    },
    {
      name: 'a wrong key',
      header: async (sub) => `Bearer ${await signDevToken(sub, { secret: 'x'.repeat(40) })}`,
    },
    {
      name: 'an expired token',
      header: async (sub) =>
        `Bearer ${await signDevToken(sub, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
    },
    {
      name: 'a missing sub',
      header: async () =>
        `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret())}`,
    },
    {
      name: 'an empty sub',
      header: async () =>
        `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('').setExpirationTime('1h').sign(secret())}`,
    },
    {
      name: 'an unexpected algorithm (HS512 with the right secret)',
      header: async (sub) =>
        `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(sub).sign(secret())}`,
    },
    {
      name: 'an RS256 token when only HS256 is configured',
      header: async (sub) => {
        const { privateKey } = await generateKeyPair('RS256');
        return `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject(sub).sign(privateKey)}`;
      },
    },
    {
      name: 'a tampered payload',
      header: async (sub) => {
        const [h, , s] = (await signDevToken(sub)).split('.');
        const payload = Buffer.from(JSON.stringify({ sub, role: 'admin' })).toString('base64url');
        return `Bearer ${h}.${payload}.${s}`;
      },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { userId: sub } = await newUser();
      const header = await c.header(sub);
      const result = await call(meHandler, { headers: header ? { authorization: header } : {} });

      expect(result.status).toBe(401);
      expect(result.body).toEqual({
        error: { code: 'unauthorized', message: expect.any(String), requestId: expect.any(String) },
      });
      expect(await userExists(sub)).toBe(false);
    });
  }
});

describe('issuer and audience', () => {
  const base = { ...process.env, JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'kite' };

  it('are enforced when configured', async () => {
    const verify = createVerifier(loadConfig(base));
    const good = await signDevToken('u', { issuer: 'https://issuer.test', audience: 'kite' });
    await expect(verify(good)).resolves.toMatchObject({ sub: 'u' });
    await expect(
      verify(await signDevToken('u', { issuer: 'https://evil.test', audience: 'kite' })),
    ).rejects.toThrow();
    await expect(
      verify(await signDevToken('u', { issuer: 'https://issuer.test', audience: 'other' })),
    ).rejects.toThrow();
    await expect(verify(await signDevToken('u'))).rejects.toThrow();
  });
});

describe('JWKS (RS256/ES256)', () => {
  it('verifies tokens signed by a key from JWKS_URL and rejects others', async () => {
    const { createServer } = await import('node:http');
    const { exportJWK } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const verify = createVerifier(
        loadConfig({ ...process.env, JWT_SECRET: '', JWKS_URL: `http://127.0.0.1:${port}/jwks.json` }),
      );
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('u1')
        .sign(privateKey);
      await expect(verify(token)).resolves.toMatchObject({ sub: 'u1' });
      const other = await generateKeyPair('ES256');
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject('u1')
        .sign(other.privateKey);
      await expect(verify(forged)).rejects.toThrow();
      await expect(verify(await signDevToken('u1'))).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});

describe('verified tokens are remembered per instance', () => {
  /** The real HS256 verifier, counting how often a signature is actually checked. */
  function countingVerifier() {
    const real = createVerifier(loadConfig(process.env));
    const counter: { calls: number; verify: Verifier } = {
      calls: 0,
      verify: (token) => {
        counter.calls++;
        return real(token);
      },
    };
    return counter;
  }

  it('a token is checked once while it stays valid', async () => {
    const counter = countingVerifier();
    const authenticate = createAuthenticator(counter.verify);
    const token = await signDevToken('u-cached', { email: 'u@example.test' });

    const first = await authenticate(token);
    const second = await authenticate(token);

    expect(second).toEqual({
      userId: 'u-cached',
      email: 'u@example.test',
      isAdmin: false,
      credential: 'session',
      scopes: API_KEY_SCOPES,
    });
    expect(second).toEqual(first);
    expect(counter.calls).toBe(1);
  });

  it('an expired token is rejected even if it was remembered while valid', async () => {
    const counter = countingVerifier();
    const authenticate = createAuthenticator(counter.verify);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await signDevToken('u-expiring', { expiresIn: exp });
    await authenticate(token);
    await authenticate(token);
    expect(counter.calls).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 10));

    await expect(authenticate(token)).rejects.toThrow(new UnauthorizedError('Token expired'));
  });

  it('an expired token is a 401 from a route that served it a moment ago', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const { token } = await newUser({ expiresIn: exp });
    expect((await call(meHandler, { token })).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 10));

    const result = await call(meHandler, { token });
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      error: { code: 'unauthorized', message: 'Token expired', requestId: expect.any(String) },
    });
  });

  it('a different token is verified on its own, even one that differs only in its signature', async () => {
    const counter = countingVerifier();
    const authenticate = createAuthenticator(counter.verify);
    const token = await signDevToken('u-one');
    await authenticate(token);

    const other = await signDevToken('u-two', { admin: true });
    expect(await authenticate(other)).toEqual({
      userId: 'u-two',
      email: null,
      isAdmin: true,
      credential: 'session',
      scopes: API_KEY_SCOPES,
    });
    const [header, payload, signature = ''] = token.split('.');
    const forged = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(authenticate(forged)).rejects.toThrow(UnauthorizedError);
    expect(counter.calls).toBe(3);
  });

  it('a failed check is not remembered', async () => {
    let calls = 0;
    const authenticate = createAuthenticator(async () => {
      calls++;
      throw new TypeError('bad token');
    });

    await expect(authenticate('a.b.c')).rejects.toThrow(UnauthorizedError);
    await expect(authenticate('a.b.c')).rejects.toThrow(UnauthorizedError);
    expect(calls).toBe(2);
  });

  it('a token without a subject is not remembered', async () => {
    const counter = countingVerifier();
    const authenticate = createAuthenticator(counter.verify);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(secret());

    await expect(authenticate(token)).rejects.toThrow(new UnauthorizedError('Token has no subject'));
    await expect(authenticate(token)).rejects.toThrow(new UnauthorizedError('Token has no subject'));
    expect(counter.calls).toBe(2);
  });

  it('remembers at most maxEntries tokens, forgetting the oldest', async () => {
    const counter = countingVerifier();
    const authenticate = createAuthenticator(counter.verify, { maxEntries: 2 });
    const [a, b, c] = await Promise.all(['u-a', 'u-b', 'u-c'].map((sub) => signDevToken(sub)));
    if (!a || !b || !c) throw new Error('unreachable');

    for (const token of [a, b, c]) await authenticate(token);
    expect(counter.calls).toBe(3);
    await authenticate(b);
    await authenticate(c);
    expect(counter.calls).toBe(3);
    expect(await authenticate(a)).toMatchObject({ userId: 'u-a' });
    expect(counter.calls).toBe(4);
  });

  it('verifies a remembered token again once maxAgeMs has passed', async () => {
    const counter = countingVerifier();
    let now = Date.now();
    const authenticate = createAuthenticator(counter.verify, { maxAgeMs: 1000, now: () => now });
    const token = await signDevToken('u-aged');
    await authenticate(token);

    now += 999;
    await authenticate(token);
    expect(counter.calls).toBe(1);
    now += 1;
    await authenticate(token);
    expect(counter.calls).toBe(2);
  });
});
