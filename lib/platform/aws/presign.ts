import type { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { type Config, s3Endpoint } from '../config.js';

/*
 * Presigning needs credentials, a signer and the object's URL, not an S3 client. The SDK's getSignedUrl builds a
 * whole client (its runtime config, endpoint rules and middleware stack) to learn that URL: on the benchmark
 * machine ~100 ms of an S3 route's cold start and most of each presign's CPU (docs/performance.md "Performance"). Here the SDK's
 * own presigner (S3RequestPresigner, the one getSignedUrl calls) signs a request whose URL is built as the SDK's
 * endpoint rules would build it, for the two configurations kite runs in: a custom endpoint (path-style, as
 * createS3Client configures it) and AWS's regional virtual-hosted endpoint. Anything else (a bucket name with dots,
 * FIPS or dual-stack endpoints, other partitions, credentials not in the environment) goes through getSignedUrl.
 * lib/platform/aws/presign.test.ts compares both ways' URLs byte for byte.
 */

/** An object URL to sign: what the SDK's PutObject / GetObject commands would send. */
export interface ObjectPresign {
  method: 'PUT' | 'GET';
  key: string;
  /** PUT: signed, so S3 refuses a body of another type or length. */
  contentType?: string;
  contentLength?: number;
  /** GET: the Content-Disposition S3 answers with (the `response-content-disposition` parameter). */
  responseContentDisposition?: string;
  /** GET: the Content-Type S3 answers with (the `response-content-type` parameter). */
  responseContentType?: string;
  expiresIn: number;
  /** The signature's time; now when absent (the tests fix it to compare URLs). */
  signingDate?: Date;
}

interface Target {
  protocol: string;
  hostname: string;
  port?: number;
  /** The path before the key, ending in `/`: `/<bucket>/` path-style, `/` virtual-hosted. */
  prefix: string;
}

// What S3's endpoint rules accept for a bucket in a host name or path without escaping (no dots: over HTTPS the
// SDK puts a dotted name in the path, a case left to it).
const PLAIN_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
// The `aws` partition's region pattern (the SDK's partitions table); other partitions have other domains.
const AWS_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/;
// Settings the SDK reads from the environment that change the endpoint it picks.
const ENDPOINT_SETTINGS = [
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
  'AWS_S3_US_EAST_1_REGIONAL_ENDPOINT',
] as const;

/** Where a presigned URL points, when it can be built without the SDK's endpoint rules; undefined otherwise. */
export function directTarget(cfg: Config, env: NodeJS.ProcessEnv = process.env): Target | undefined {
  if (!PLAIN_BUCKET.test(cfg.S3_BUCKET)) return undefined;
  const endpoint = s3Endpoint(cfg);
  if (endpoint) {
    const url = new URL(endpoint);
    if (url.search || url.hash || url.username || url.password) return undefined;
    const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    return {
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      prefix: `${path}${cfg.S3_BUCKET}/`,
    };
  }
  if (!AWS_REGION.test(cfg.AWS_REGION) || ENDPOINT_SETTINGS.some((name) => env[name] !== undefined)) {
    return undefined;
  }
  return { protocol: 'https:', hostname: `${cfg.S3_BUCKET}.s3.${cfg.AWS_REGION}.amazonaws.com`, prefix: '/' };
}

/**
 * Lambda hands a function its role's credentials in the environment (and `npm start` the emulators'); the SDK's
 * client would find them there first too. Undefined when they are not there.
 */
export function envCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type DirectPresigner = (request: ObjectPresign) => Promise<string>;

/** A presigner for this target and these credentials: loads only the signer, never an S3 client. */
export async function directPresigner(
  cfg: Config,
  target: Target,
  credentials: Credentials,
): Promise<DirectPresigner> {
  const [{ S3RequestPresigner }, { Sha256 }, { extendedEncodeURIComponent }, { formatUrl }] =
    await Promise.all([
      import('@aws-sdk/s3-request-presigner'),
      import('@smithy/core/checksum'),
      import('@smithy/core/protocols'),
      import('@aws-sdk/core/util'),
    ]);
  const signer: S3RequestPresigner = new S3RequestPresigner({
    credentials: async () => credentials,
    region: cfg.AWS_REGION,
    sha256: Sha256,
  });
  return async (request) => {
    // The SDK's serialisation of the `{Key+}` label: each segment escaped, the slashes kept.
    const path = target.prefix + request.key.split('/').map(extendedEncodeURIComponent).join('/');
    const put = request.method === 'PUT';
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
    const query: Record<string, string> = { 'x-id': put ? 'PutObject' : 'GetObject' };
    if (request.responseContentDisposition !== undefined) {
      query['response-content-disposition'] = request.responseContentDisposition;
    }
    if (request.responseContentType !== undefined)
      query['response-content-type'] = request.responseContentType;
    const presigned = await signer.presign(
      {
        method: request.method,
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port !== undefined ? { port: target.port } : {}),
        path,
        query,
        headers,
      },
      {
        expiresIn: request.expiresIn,
        ...(put ? { signableHeaders: new Set(['content-type', 'content-length']) } : {}),
        ...(request.signingDate ? { signingDate: request.signingDate } : {}),
      },
    );
    return formatUrl(presigned);
  };
}
