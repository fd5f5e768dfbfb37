import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { contentType } from 'mime-types';
import { DEV_ONLY_JWT_SECRET } from '../local/token.js';

/**
 * `npm run deploy:web` (scripts/deploy-web.ts): the built web app (web/dist) into the stack's site bucket, the
 * app's config.json written from the stack's outputs, and CloudFront told to fetch the two files that change in
 * place (docs/deploy.md "The web app on AWS"). CloudFormation and CloudFront are reached through `readStackOutputs`
 * and `invalidate`, so the tests run the rest against a real S3.
 */

/** The outputs serverless.yml gives the stack (the user pool's only when the stack created it). */
export interface StackOutputs {
  SiteUrl: string;
  SiteBucketName: string;
  SiteDistributionId: string;
  UserPoolClientId?: string;
  OidcAuthority?: string;
  OidcLogoutUrl?: string;
}

/** What the app fetches from /config.json to sign people in (the web app's contract). */
export interface WebConfig {
  signIn: 'oidc';
  authority: string;
  clientId: string;
  scope: string;
  logoutUrl: string | null;
}

/** Hashed files: a new build gets new names, so a browser and CloudFront may keep them for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else is checked with CloudFront (and the browser) on every use. */
export const NO_CACHE = 'no-cache';

export const DEFAULT_SCOPE = 'openid email profile';

/**
 * The app's sign-in settings: the stack's user pool when it created one, else the deployer's own provider from
 * WEB_OIDC_AUTHORITY (or JWT_ISSUER), WEB_OIDC_CLIENT_ID (or JWT_CLIENT_ID, JWT_AUDIENCE), WEB_OIDC_SCOPE and
 * WEB_OIDC_LOGOUT_URL.
 */
export function webConfig(outputs: StackOutputs, env: NodeJS.ProcessEnv = process.env): WebConfig {
  if (outputs.OidcAuthority && outputs.UserPoolClientId) {
    return {
      signIn: 'oidc',
      authority: outputs.OidcAuthority,
      clientId: outputs.UserPoolClientId,
      scope: DEFAULT_SCOPE,
      logoutUrl: outputs.OidcLogoutUrl ?? null,
    };
  }
  const authority = env.WEB_OIDC_AUTHORITY || env.JWT_ISSUER;
  const clientId = env.WEB_OIDC_CLIENT_ID || env.JWT_CLIENT_ID || env.JWT_AUDIENCE;
  const missing = [
    ...(authority ? [] : ['WEB_OIDC_AUTHORITY (or JWT_ISSUER)']),
    ...(clientId ? [] : ['WEB_OIDC_CLIENT_ID (or JWT_CLIENT_ID)']),
  ];
  if (!authority || !clientId) {
    throw new Error(
      `The stack uses your own OpenID provider (it created no user pool): set ${missing.join(' and ')} ` +
        'for the web app (docs/deploy.md "Your own OpenID provider")',
    );
  }
  return {
    signIn: 'oidc',
    authority,
    clientId,
    scope: env.WEB_OIDC_SCOPE || DEFAULT_SCOPE,
    logoutUrl: env.WEB_OIDC_LOGOUT_URL || null,
  };
}

export interface SiteFile {
  key: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const typeOf = (key: string) => contentType(basename(key)) || 'application/octet-stream';

/**
 * The objects to put, in the order to put them: hashed assets first, other files, then config.json and last
 * index.html, so a browser that loads the new index.html finds everything it names. A config.json in the build
 * (the local one) is replaced by the stack's.
 */
export function planSite(dist: string, config: WebConfig): SiteFile[] {
  let paths: string[];
  try {
    paths = filesUnder(dist);
  } catch {
    paths = [];
  }
  const keys = paths.map((path) => relative(dist, path).split(sep).join('/'));
  if (!keys.includes('index.html')) {
    throw new Error(`${dist} has no index.html: build the web app first (npm run build:web)`);
  }
  const rank = (key: string) => (key === 'index.html' ? 2 : key.startsWith('assets/') ? 0 : 1);
  const files = paths
    .map((path, i) => ({ path, key: keys[i] as string }))
    .filter(({ key }) => key !== 'config.json')
    .map(({ path, key }) => ({
      key,
      body: readFileSync(path),
      contentType: typeOf(key),
      cacheControl: key.startsWith('assets/') ? IMMUTABLE : NO_CACHE,
    }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
  const configFile: SiteFile = {
    key: 'config.json',
    body: Buffer.from(`${JSON.stringify(config)}\n`),
    contentType: typeOf('config.json'),
    cacheControl: NO_CACHE,
  };
  return [...files.slice(0, -1), configFile, ...files.slice(-1)];
}

/** What only `npm start` may serve: the local sign-in page and the secret its dev tokens are signed with. */
export const LOCAL_ONLY_MARKERS = ['/local/sign-in', DEV_ONLY_JWT_SECRET] as const;

/** Refuses a site that carries the local sign-in (web app contract: nothing of it can be deployed). */
export function assertNothingLocal(files: readonly Pick<SiteFile, 'key' | 'body'>[]): void {
  const found = files.flatMap(({ key, body }) =>
    LOCAL_ONLY_MARKERS.filter((marker) => body.includes(marker)).map((marker) => `${key} (${marker})`),
  );
  if (found.length > 0) {
    throw new Error(
      `The build carries the local sign-in, which must never be deployed: ${found.join(', ')}. ` +
        'Build for production (npm run build:web) and deploy again.',
    );
  }
}

/** The paths whose objects change in place: everything else has a new name per build. */
export const INVALIDATED_PATHS = ['/index.html', '/config.json'] as const;

export interface DeployWebOptions {
  /** The built app (web/dist). */
  dist: string;
  s3: S3Client;
  outputs: StackOutputs;
  /** CloudFront's invalidation (a seam: the tests record it). */
  invalidate: (distributionId: string, paths: readonly string[]) => Promise<void>;
  env?: NodeJS.ProcessEnv;
  /** Files put at once. */
  concurrency?: number;
  log?: (line: string) => void;
}

export async function deployWeb(options: DeployWebOptions): Promise<{ url: string; files: SiteFile[] }> {
  const { s3, outputs, log = () => {}, concurrency = 8 } = options;
  const files = planSite(options.dist, webConfig(outputs, options.env));
  assertNothingLocal(files);
  const put = (file: SiteFile) =>
    s3.send(
      new PutObjectCommand({
        Bucket: outputs.SiteBucketName,
        Key: file.key,
        Body: file.body,
        ContentType: file.contentType,
        CacheControl: file.cacheControl,
      }),
    );
  // Assets in parallel batches; the rest one by one, in order (planSite).
  const assets = files.filter((file) => file.cacheControl === IMMUTABLE);
  for (let i = 0; i < assets.length; i += concurrency) {
    await Promise.all(assets.slice(i, i + concurrency).map(put));
  }
  for (const file of files.slice(assets.length)) await put(file);
  log(`uploaded ${files.length} file(s) to s3://${outputs.SiteBucketName}`);
  await options.invalidate(outputs.SiteDistributionId, INVALIDATED_PATHS);
  log(`invalidated ${INVALIDATED_PATHS.join(' ')} on ${outputs.SiteDistributionId}`);
  return { url: outputs.SiteUrl, files };
}

/** The stack's outputs, by name (serverless names the stack `<service>-<stage>`). */
export async function readStackOutputs(stackName: string, region: string): Promise<StackOutputs> {
  const client = new CloudFormationClient({ region });
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    for (const name of ['SiteUrl', 'SiteBucketName', 'SiteDistributionId']) {
      if (!outputs[name]) {
        throw new Error(
          `Stack ${stackName} has no output ${name}: deploy it first (npx serverless deploy --stage …)`,
        );
      }
    }
    return outputs as unknown as StackOutputs;
  } finally {
    client.destroy();
  }
}

export function cloudFrontInvalidator(): DeployWebOptions['invalidate'] {
  return async (distributionId, paths) => {
    // CloudFront is global; its API lives in us-east-1.
    const client = new CloudFrontClient({ region: 'us-east-1' });
    try {
      await client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: {
            CallerReference: `kite-deploy-web-${Date.now()}`,
            Paths: { Quantity: paths.length, Items: [...paths] },
          },
        }),
      );
    } finally {
      client.destroy();
    }
  };
}
