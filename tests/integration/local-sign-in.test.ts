import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.js';
import { safeNext, startWebFront } from '../../local/web.js';

/*
 * npm start's local sign-in (docs/web.md "Signing in") with what a careless or hostile form sends: each a clear 4xx
 * with the form again, no token; and no way to be sent on to another origin afterwards.
 */
let front: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  front = await startWebFront({
    port: await freePort(),
    api: 'http://127.0.0.1:9',
    jwtSecret: 'a-local-test-secret-that-is-long-enough-0123456789',
    bucketOrigin: 'http://127.0.0.1:9',
  });
});

afterAll(() => front?.stop());

function post(form: Record<string, string> | string) {
  return fetch(`${front.url}/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
}

/** The token and the next path the answer's page hands the app. */
async function handedOver(answer: Response): Promise<{ token: string; next: string }> {
  const page = await answer.text();
  const data = /const d=(\{.*?\});/.exec(page)?.[1];
  if (!data) throw new Error(`no token in the page: ${page}`);
  return JSON.parse(data);
}

describe('the local sign-in with bad input', () => {
  it.each([
    ['no user name', { user: '' }],
    ['only spaces', { user: '   ' }],
    ['a control character', { user: 'ann\u0007' }],
    ['101 characters', { user: 'x'.repeat(101) }],
  ])('refuses %s with 400 and the form again, and signs no token', async (_case, form) => {
    const answer = await post(form);
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(page).toContain('role="alert"');
    expect(page).not.toContain('sessionStorage');
  });

  it('refuses a form larger than a sign-in with 413, not a server error', async () => {
    const answer = await post({ user: 'ann', padding: 'x'.repeat(20_000) });
    expect(answer.status).toBe(413);
    expect(await answer.text()).not.toContain('sessionStorage');
  });

  it('never sends the person on to another origin after signing in', async () => {
    for (const next of [
      '//evil.example/x',
      '/\\evil.example/x',
      'https://evil.example/',
      'javascript:alert(1)',
    ]) {
      expect(safeNext(next), next).toBe('/');
      const answer = await post({ user: 'ann', next });
      expect(answer.status).toBe(200);
      expect((await handedOver(answer)).next, next).toBe('/');
    }
    expect(safeNext('/documents/42?x=1')).toBe('/documents/42?x=1');
  });

  it('signs a token for the name typed, admin only when ticked, and escapes it in the page', async () => {
    const plain = await handedOver(await post({ user: '</script><b>ann', next: '/trash' }));
    expect(plain.next).toBe('/trash');
    expect(decodeJwt(plain.token)).toMatchObject({ sub: '</script><b>ann' });
    expect(decodeJwt(plain.token).role).toBeUndefined();
    // The name reaches the page only inside the escaped JSON: it cannot close the script element.
    expect(await (await post({ user: '</script><b>ann' })).text()).not.toContain('</script><b>');
    const admin = await handedOver(await post({ user: 'root', admin: '1' }));
    expect(decodeJwt(admin.token)).toMatchObject({ sub: 'root', role: 'admin' });
  });
});
