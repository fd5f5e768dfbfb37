import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { type Config, config } from './config.js';
import { UnauthorizedError } from './errors.js';

export interface Caller {
  userId: string;
  email: string | null;
  isAdmin: boolean;
}

type Verifier = (token: string) => Promise<JWTPayload>;

export function createVerifier(cfg: Config): Verifier {
  const options = {
    ...(cfg.JWT_ISSUER ? { issuer: cfg.JWT_ISSUER } : {}),
    ...(cfg.JWT_AUDIENCE ? { audience: cfg.JWT_AUDIENCE } : {}),
  };
  if (cfg.JWKS_URL) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(cfg.JWKS_URL));
    return async (token) =>
      (await jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'ES256'] })).payload;
  }
  const secret = new TextEncoder().encode(cfg.JWT_SECRET);
  return async (token) => (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
}

let shared: Verifier | undefined;

export function isAdminClaims(payload: JWTPayload): boolean {
  const groups = payload['cognito:groups'];
  return payload.role === 'admin' || (Array.isArray(groups) && groups.includes('admin'));
}

/** Verifies `Authorization: Bearer <jwt>`; every failure is a 401 without detail a forger could use. */
export async function authenticate(authorization: string | undefined): Promise<Caller> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) throw new UnauthorizedError('Missing bearer token');
  shared ??= createVerifier(config());
  let payload: JWTPayload;
  try {
    payload = await shared(match[1]);
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
  return { userId: payload.sub, email, isAdmin: isAdminClaims(payload) };
}
