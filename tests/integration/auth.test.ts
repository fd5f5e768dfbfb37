import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as meHandler } from '../../functions/me.js';
import { createVerifier } from '../../lib/auth.js';
import { loadConfig } from '../../lib/config.js';
import { closeDb, db } from '../../lib/db/client.js';
import { signDevToken } from '../../local/token.js';
import { call, newUserId } from '../helpers/api.js';

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
      const sub = newUserId();
      const header = await c.header(sub);
      const result = await call(meHandler, { headers: header ? { authorization: header } : {} });

      expect(result.status).toBe(401);
      expect(result.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
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
