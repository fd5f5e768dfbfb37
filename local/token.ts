import { SignJWT } from 'jose';

/** The secret `npm start` and the tests use when JWT_SECRET is unset. For local development only. */
export const DEV_ONLY_JWT_SECRET = 'kite-local-dev-only-secret-do-not-deploy-0123456789';

export interface DevTokenOptions {
  admin?: boolean;
  email?: string;
  expiresIn?: string | number;
  secret?: string;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token the way an identity provider would, for local development and tests. */
export async function signDevToken(sub: string, options: DevTokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (options.admin) claims.role = 'admin';
  if (options.email) claims.email = options.email;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? process.env.JWT_SECRET ?? DEV_ONLY_JWT_SECRET));
}
