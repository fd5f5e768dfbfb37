import { OAuth2Server } from 'oauth2-mock-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { bootNpmStart, type NpmStart } from '../helpers/npm-start.js';

/*
 * docs/web.md "Signing in": with an OpenID Connect provider in /config.json the app signs in by authorisation code +
 * PKCE (oidc-client-ts) and sends the provider's access token to the API, which checks it against the provider's
 * JWKS. The provider is oauth2-mock-server (it signs in whoever arrives, with no login form); npm start serves the
 * OIDC config when WEB_OIDC_AUTHORITY and WEB_OIDC_CLIENT_ID are set, and then offers no local sign-in.
 */
const SUB = `oidc-${process.pid}`;
let provider: OAuth2Server;
let issuer = '';
let stack: NpmStart;
let browser: Browser;
const providerRequests: string[] = [];

beforeAll(async () => {
  provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(0, '127.0.0.1');
  issuer = provider.issuer.url ?? '';
  provider.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    Object.assign(token.payload, { sub: SUB, email: 'oidc-person@example.test' });
  });
  provider.service.on('beforeAuthorizeRedirect', (_redirect: unknown, req: { url: string }) => {
    providerRequests.push(`authorize ${req.url}`);
  });
  provider.service.on('beforePostLogoutRedirect', () => {
    providerRequests.push('endsession');
  });
  stack = await bootNpmStart({
    WEB_OIDC_AUTHORITY: issuer,
    WEB_OIDC_CLIENT_ID: 'kite-web',
    JWKS_URL: `${issuer}/jwks`,
  });
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await provider?.stop();
}, 60_000);

describe('signing in with OpenID Connect', () => {
  it('npm start serves the OIDC configuration and no local sign-in', async () => {
    expect(await (await fetch(`${stack.api}/config.json`)).json()).toEqual({
      signIn: 'oidc',
      authority: issuer,
      clientId: 'kite-web',
      scope: 'openid email profile',
      logoutUrl: null,
    });
    expect((await fetch(`${stack.api}/local/sign-in`)).status).toBe(404);
  });

  it('signs in by code + PKCE, comes back to the page asked for, and calls the API with the access token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    context.setDefaultTimeout(20_000);
    try {
      await page.goto(`${stack.api}/settings`);
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/settings');
      await page.getByText('Signed in as oidc-person@example.test').waitFor();
      const authorize = new URL(
        providerRequests.find((r) => r.startsWith('authorize'))?.slice(10) ?? '',
        issuer,
      );
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.api}/auth/callback`);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => providerRequests.includes('endsession')).toBe(true);
    } finally {
      await context.close();
    }
  }, 60_000);
});
