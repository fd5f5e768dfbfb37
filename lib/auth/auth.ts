import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { findKeyCredential, KEY_SECRET_PREFIX } from '../keys/keys.js';
import { type Config, config } from '../platform/config.js';
import { ForbiddenError, UnauthorizedError } from '../platform/errors.js';
import { API_KEY_SCOPES, type ApiKeyScope, type RouteDeclaration } from '../platform/route.js';

export interface Caller {
  userId: string;
  email: string | null;
  /** A JWT: its admin claim. A key: the role stored on the user's row now (docs/api.md "API keys"). */
  isAdmin: boolean;
  /** How the caller proved who they are: a signed-in session (a JWT) or an API key. */
  credential: 'session' | 'key';
  /** What the credential allows: every scope for a session, the key's own for a key. */
  scopes: readonly ApiKeyScope[];
  /** The key's id, when the credential is a key. */
  keyId?: string;
}

export type Verifier = (token: string) => Promise<JWTPayload>;

export function createVerifier(cfg: Config): Verifier {
  const options = {
    ...(cfg.JWT_ISSUER ? { issuer: cfg.JWT_ISSUER } : {}),
    ...(cfg.JWT_AUDIENCE ? { audience: cfg.JWT_AUDIENCE } : {}),
  };
  const verify = signatureVerifier(cfg, options);
  const clientId = cfg.JWT_CLIENT_ID;
  if (!clientId) return verify;
  return async (token) => {
    const payload = await verify(token);
    // Cognito access tokens name their app client in `client_id` (they have no `aud`); an ID token (which has `aud`
    // and no `client_id`) or another client's token is refused (docs/deploy.md "Signing in").
    if (payload.client_id !== clientId) {
      throw new joseErrors.JWTClaimValidationFailed(
        'unexpected "client_id" claim value',
        payload,
        'client_id',
        'check_failed',
      );
    }
    return payload;
  };
}

function signatureVerifier(cfg: Config, options: { issuer?: string; audience?: string }): Verifier {
  if (cfg.JWKS_URL) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(cfg.JWKS_URL));
    const jwksOptions = { ...options, algorithms: ['RS256', 'ES256'] };
    return async (token) => (await jwtVerify(token, jwks, jwksOptions)).payload;
  }
  // Imported once: given the raw bytes, jose would import the key again on every verification.
  const secret = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(cfg.JWT_SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const hmacOptions = { ...options, algorithms: ['HS256'] };
  return async (token) => (await jwtVerify(token, await secret, hmacOptions)).payload;
}

/** Admin: `role` is `admin` (any provider), or the Cognito groups include `admin` (the stack's user pool group). */
export function isAdminClaims(payload: JWTPayload): boolean {
  const groups = payload['cognito:groups'];
  return payload.role === 'admin' || (Array.isArray(groups) && groups.includes('admin'));
}

/** The caller a token names, and when it expires; every failure is a 401 without detail a forger could use. */
async function verifiedCaller(
  verify: Verifier,
  token: string,
): Promise<{ caller: Caller; exp: number | undefined }> {
  let payload: JWTPayload;
  try {
    payload = await verify(token);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token expired');
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError)
      throw new UnauthorizedError('Invalid token');
    throw error;
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw new UnauthorizedError('Token has no subject');
  }
  const email = typeof payload.email === 'string' ? payload.email : null;
  return {
    caller: {
      userId: payload.sub,
      email,
      isAdmin: isAdminClaims(payload),
      credential: 'session',
      scopes: API_KEY_SCOPES,
    },
    exp: payload.exp,
  };
}

export type Authenticator = (token: string) => Promise<Caller>;

export interface TokenCacheOptions {
  /** Most tokens remembered; the oldest is forgotten first. */
  maxEntries?: number;
  /** A token is verified again after this long even if it has not expired, so a rotated JWKS key is noticed. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Turns tokens into callers, remembering the ones that passed every check (keyed by the exact token string) so a
 * warm instance skips the signature check for a caller it has just seen. `exp` is checked on every use; failures
 * are never remembered.
 */
export function createAuthenticator(
  verify: Verifier,
  { maxEntries = 1000, maxAgeMs = 60_000, now = Date.now }: TokenCacheOptions = {},
): Authenticator {
  const accepted = new Map<string, { caller: Caller; exp: number | undefined; until: number }>();
  return async (token) => {
    const at = now();
    const hit = accepted.get(token);
    // `exp` in whole seconds, as jose compares it: expired once the current second reaches it.
    if (hit && at < hit.until && (hit.exp === undefined || Math.floor(at / 1000) < hit.exp))
      return hit.caller;
    accepted.delete(token); // stale or expired: jose decides again, and names an expiry as such
    const { caller, exp } = await verifiedCaller(verify, token);
    if (accepted.size >= maxEntries) {
      const oldest = accepted.keys().next();
      if (!oldest.done) accepted.delete(oldest.value);
    }
    accepted.set(token, { caller: Object.freeze(caller), exp, until: at + maxAgeMs });
    return caller;
  };
}

let shared: Authenticator | undefined;

const BEARER = /^Bearer\s+(\S+)$/i;

/** The one answer for a key that is malformed, unknown, revoked or expired: nothing tells them apart. */
const INVALID_KEY = 'Invalid API key';

/** Who a key names; every failure is the same 401. */
async function keyCaller(secret: string): Promise<Caller> {
  const key = await findKeyCredential(secret);
  if (!key) throw new UnauthorizedError(INVALID_KEY);
  return {
    userId: key.userId,
    email: key.email,
    isAdmin: key.isAdmin,
    credential: 'key',
    scopes: key.scopes,
    keyId: key.keyId,
  };
}

/**
 * What a route asks of its caller (docs/api.md "API keys"): a key needs the route's scope, `session` routes take no key
 * at all, and admin routes an admin (for a key: the `admin` scope and the role stored on the user now).
 */
export function authorize(caller: Caller, route: Pick<RouteDeclaration, 'scope' | 'admin'>): void {
  const { scope } = route;
  if (scope === 'session') {
    if (caller.credential !== 'session') {
      throw new ForbiddenError('Managing API keys needs a signed-in session; an API key cannot do it');
    }
  } else if (scope !== 'any' && (scope === undefined || !caller.scopes.includes(scope))) {
    throw new ForbiddenError(`This API key does not have the ${scope ?? 'needed'} scope`);
  }
  if (route.admin && !caller.isAdmin) throw new ForbiddenError('This route is for admins');
}

/**
 * The one auth step every route runs (lib/api/router.ts): who the caller is, from `Authorization: Bearer
 * kite_…` (an API key) or `Authorization: Bearer <jwt>`, and whether they may call this route. Who: every
 * failure is a 401 without detail a forger could use; may: a 403.
 */
export async function authenticate(
  authorization: string | undefined,
  route: Pick<RouteDeclaration, 'scope' | 'admin'>,
): Promise<Caller> {
  const match = BEARER.exec(authorization ?? '');
  const token = match?.[1];
  if (!token) throw new UnauthorizedError('Missing bearer token');
  let caller: Caller;
  if (token.startsWith(KEY_SECRET_PREFIX)) {
    caller = await keyCaller(token);
  } else {
    shared ??= createAuthenticator(createVerifier(config()));
    caller = await shared(token);
  }
  authorize(caller, route);
  return caller;
}
