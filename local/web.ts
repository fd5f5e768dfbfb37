import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import sirv from 'sirv';
import { signDevToken } from './token.js';
import { WEB_DIST } from './web-build.js';

/**
 * `npm start`'s front door on PORT (docs/web.md "How npm start serves it"): the built app (web/dist) with deep
 * links, `/api/*` passed to serverless offline on its own port, `/config.json` telling the app how to sign in, and
 * the local sign-in page. The sign-in lives here, in local/, and nowhere the deploy packages: web/dist only knows
 * its URL, so nothing of it can reach AWS.
 */
export interface WebFrontOptions {
  port: number;
  /** Where serverless offline answers, e.g. http://127.0.0.1:3003. */
  api: string;
  /** The stack's JWT_SECRET; empty when the API checks a provider's JWKS instead (no local sign-in then). */
  jwtSecret: string;
  /** The S3 endpoint the presigned URLs point at (uploads, thumbnails, previews): the policy allows it. */
  bucketOrigin: string;
  env?: NodeJS.ProcessEnv;
}

/** The deployed site's policy, written once in deploy/site.cjs (a serverless.yml variable source, so CommonJS). */
const site = createRequire(import.meta.url)('../deploy/site.cjs') as {
  contentSecurityPolicy(origins: { bucket: string; oidc: string }): string;
  ownProviderOrigins(env: NodeJS.ProcessEnv): string;
};

/** Where the local sign-in page leaves the token; web/src/auth/session.ts reads the same key. */
const TOKEN_KEY = 'kite.token';
const SIGN_IN = '/local/sign-in';

export async function startWebFront(
  options: WebFrontOptions,
): Promise<{ url: string; stop(): Promise<void> }> {
  const env = options.env ?? process.env;
  const files = sirv(WEB_DIST, { single: true, etag: true, gzip: false, dev: false });
  const assets = sirv(WEB_DIST, { etag: true, immutable: true, maxAge: 31_536_000, dev: false });
  const config = webConfig(env);
  const policy = localPolicy(options.bucketOrigin, env);

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) return proxy(req, res, options.api);
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(config));
    }
    if (path === SIGN_IN) return void signIn(req, res, options.jwtSecret).catch((error) => fail(res, error));
    // The app runs under the policy the deployed site sends (docs/deploy.md "The web app on AWS"), so the browser
    // tests prove the app needs nothing it forbids.
    res.setHeader('content-security-policy', policy);
    res.setHeader('x-content-type-options', 'nosniff');
    // Hashed file names never change content: cache them; index.html always revalidates.
    if (path.startsWith('/assets/')) return assets(req, res, () => notFound(res));
    res.setHeader('cache-control', 'no-cache');
    files(req, res, () => notFound(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The deployed site's Content-Security-Policy with the local origins: the S3 emulator and, when set, the OpenID
 * provider. `upgrade-insecure-requests` is left out: every local origin is plain http.
 */
function localPolicy(bucketOrigin: string, env: NodeJS.ProcessEnv): string {
  const bucket = new URL(bucketOrigin).origin;
  const oidc = site.ownProviderOrigins(env);
  return site
    .contentSecurityPolicy({ bucket, oidc })
    .split('; ')
    .filter((directive: string) => directive !== 'upgrade-insecure-requests')
    .join('; ');
}

/** OIDC when WEB_OIDC_AUTHORITY and WEB_OIDC_CLIENT_ID are set (a real provider in front of npm start), else local. */
function webConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (env.WEB_OIDC_AUTHORITY && env.WEB_OIDC_CLIENT_ID) {
    return {
      signIn: 'oidc',
      authority: env.WEB_OIDC_AUTHORITY,
      clientId: env.WEB_OIDC_CLIENT_ID,
      scope: env.WEB_OIDC_SCOPE || 'openid email profile',
      logoutUrl: env.WEB_OIDC_LOGOUT_URL || null,
    };
  }
  return { signIn: 'local', signInUrl: SIGN_IN };
}

function proxy(req: IncomingMessage, res: ServerResponse, api: string): void {
  const target = new URL(req.url ?? '/', api);
  const upstream = request(
    target,
    { method: req.method, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { code: 'unavailable', message: 'The API is not answering yet; try again.' } }),
    );
  });
  req.pipe(upstream);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
}

function fail(res: ServerResponse, error: unknown): void {
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(`The local sign-in failed: ${error instanceof Error ? error.message : String(error)}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · kite</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;background:#f6f8fb;color:#1c2430;margin:0}
main{max-width:28rem;margin:10vh auto;background:#fff;border:1px solid #d5dbe3;border-radius:8px;padding:24px}
label{display:block;margin:12px 0}input[type=text]{font:inherit;padding:6px;width:100%;border:1px solid #8a94a3;border-radius:5px}
button{font:inherit;padding:6px 14px;background:#1f5fbf;color:#fff;border:1px solid #1f5fbf;border-radius:5px}
p.note{color:#566173;font-size:.9rem}:focus-visible{outline:3px solid #f0a500;outline-offset:2px}</style>
</head><body><main>${body}</main></body></html>`;
}

function form(next: string, problem = ''): string {
  return page(
    'Sign in',
    `<h1>Sign in to kite</h1>
<p class="note">Local development sign-in: any user name, no password. It exists only under <code>npm start</code>.</p>
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="${SIGN_IN}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="user">User name</label><input type="text" id="user" name="user" required maxlength="100" autocomplete="username" autofocus>
<label><input type="checkbox" name="admin" value="1"> Admin</label>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** The posted form, or undefined when it is larger than a sign-in form can be. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) return undefined;
  }
  return new URLSearchParams(body);
}

/**
 * A path of this site to go back to after signing in; anything else goes to `/`. Browsers read `/\host` like
 * `//host` (another origin), so a backslash in second place is refused too.
 */
export function safeNext(value: string | null): string {
  return value && /^\/(?![/\\])/.test(value) ? value : '/';
}

/**
 * GET: the form. POST: a dev JWT for that user name (its `sub`), admin when ticked, signed with the stack's secret
 * as `npm run token` does, left in the tab's sessionStorage for the app, then on to the app.
 */
async function signIn(req: IncomingMessage, res: ServerResponse, secret: string): Promise<void> {
  const html = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
  if (!secret) {
    res.writeHead(404, html);
    res.end(
      page(
        'Sign in',
        '<h1>No local sign-in</h1><p>This stack checks tokens from JWKS_URL: sign in there.</p>',
      ),
    );
    return;
  }
  const query = new URL(req.url ?? '/', 'http://local').searchParams;
  if (req.method !== 'POST') {
    res.writeHead(200, html).end(form(safeNext(query.get('next'))));
    return;
  }
  const fields = await readForm(req);
  if (!fields) {
    res.writeHead(413, html).end(form('/', 'That form is too large to be a sign-in.'));
    return;
  }
  const user = (fields.get('user') ?? '').trim();
  const next = safeNext(fields.get('next'));
  if (!user || user.length > 100 || /\p{Cc}/u.test(user)) {
    res.writeHead(400, html).end(form(next, 'Type a user name (1 to 100 characters).'));
    return;
  }
  const token = await signDevToken(user, { admin: fields.get('admin') === '1', secret });
  // JSON in a script: `<` escaped so nothing in it can close the script element.
  const data = JSON.stringify({ key: TOKEN_KEY, token, next }).replace(/</g, '\\u003c');
  res.writeHead(200, html);
  res.end(
    page(
      'Signing in',
      `<h1>Signing in…</h1><script>const d=${data};sessionStorage.setItem(d.key,d.token);location.replace(d.next);</script>`,
    ),
  );
}
