import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_SCOPE, deployWeb, IMMUTABLE, NO_CACHE, type StackOutputs } from '../../deploy/web.js';
import { DEV_ONLY_JWT_SECRET } from '../../local/token.js';

/**
 * `npm run deploy:web` against the tests' real S3 (radosgw when installed): the keys, Cache-Control and Content-Type
 * of what it puts, the config.json it writes from the stack's outputs, and the invalidation it asks for. Only
 * CloudFormation's outputs and CloudFront's invalidation are stand-ins (the seams of deploy/web.ts).
 */
const env = inject('testEnv');
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: env.AWS_ENDPOINT_URL_S3,
  forcePathStyle: true,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const root = mkdtempSync(join(tmpdir(), 'kite-deploy-web-'));
let buckets = 0;

afterAll(() => {
  s3.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh bucket, as the stack's SiteBucket. */
async function siteBucket(): Promise<string> {
  const bucket = `kite-site-${process.pid}-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** A built app as Vite lays it out, in a folder of its own. */
function fakeDist(files: Record<string, string>): string {
  const dist = mkdtempSync(join(root, 'dist-'));
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dist, key)), { recursive: true });
    writeFileSync(join(dist, key), body);
  }
  return dist;
}

const BUILD = {
  'index.html':
    '<!doctype html><html><head><script type="module" src="/assets/index-B1x2y3z4.js"></script></head></html>',
  'assets/index-B1x2y3z4.js': 'fetch("/config.json")',
  'assets/index-C5d6e7f8.css': 'body{margin:0}',
  'assets/uploader-D9a8b7c6.js': 'export const uppy = 1',
  'assets/logo-E1f2a3b4.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'favicon.ico': '\u0000\u0000\u0001\u0000',
  'config.json': '{"signIn":"local"}',
};

const outputs = (bucket: string): StackOutputs => ({
  SiteUrl: 'https://d111111abcdef8.cloudfront.net/',
  SiteBucketName: bucket,
  SiteDistributionId: 'E2QWRUHAPOMQZL',
  UserPoolClientId: '4example0client0id0abcdefgh',
  OidcAuthority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
  OidcLogoutUrl:
    'https://kite-prod-123456789012.auth.eu-west-1.amazoncognito.com/logout?client_id=4example0client0id0abcdefgh&logout_uri=https://d111111abcdef8.cloudfront.net/',
});

async function keysIn(bucket: string): Promise<string[]> {
  const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (Contents ?? []).map((object) => object.Key ?? '').sort();
}

const text = async (bucket: string, key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();

describe('npm run deploy:web, on a real S3', () => {
  let bucket = '';
  const invalidations: { distributionId: string; paths: readonly string[] }[] = [];
  const order: string[] = [];
  let url = '';

  beforeAll(async () => {
    bucket = await siteBucket();
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') order.push((args.input as { Key: string }).Key);
        return next(args);
      },
      { step: 'initialize', name: 'recordPuts' },
    );
    ({ url } = await deployWeb({
      dist: fakeDist(BUILD),
      s3,
      outputs: outputs(bucket),
      invalidate: async (distributionId, paths) => {
        invalidations.push({ distributionId, paths });
      },
      env: {},
    }));
    s3.middlewareStack.remove('recordPuts');
  });

  it('puts every file of the build under its path, and config.json', async () => {
    expect(await keysIn(bucket)).toEqual(Object.keys(BUILD).sort());
    expect(url).toBe('https://d111111abcdef8.cloudfront.net/');
  });

  it('lets browsers and CloudFront keep hashed assets for a year, and nothing else', async () => {
    const expected: Record<string, [string, string]> = {
      'index.html': [NO_CACHE, 'text/html; charset=utf-8'],
      'config.json': [NO_CACHE, 'application/json; charset=utf-8'],
      'favicon.ico': [NO_CACHE, 'image/vnd.microsoft.icon'],
      'assets/index-B1x2y3z4.js': [IMMUTABLE, 'text/javascript; charset=utf-8'],
      'assets/uploader-D9a8b7c6.js': [IMMUTABLE, 'text/javascript; charset=utf-8'],
      'assets/index-C5d6e7f8.css': [IMMUTABLE, 'text/css; charset=utf-8'],
      'assets/logo-E1f2a3b4.svg': [IMMUTABLE, 'image/svg+xml'],
    };
    for (const [key, [cacheControl, contentType]] of Object.entries(expected)) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect({ key, cacheControl: head.CacheControl, contentType: head.ContentType }).toEqual({
        key,
        cacheControl,
        contentType,
      });
    }
    expect(IMMUTABLE).toBe('public, max-age=31536000, immutable');
    expect(await text(bucket, 'assets/index-B1x2y3z4.js')).toBe(BUILD['assets/index-B1x2y3z4.js']);
  });

  it('writes config.json from the stack’s user pool, in place of the build’s', async () => {
    expect(JSON.parse((await text(bucket, 'config.json')) ?? '')).toEqual({
      signIn: 'oidc',
      authority: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      clientId: '4example0client0id0abcdefgh',
      scope: 'openid email profile',
      logoutUrl:
        'https://kite-prod-123456789012.auth.eu-west-1.amazoncognito.com/logout?client_id=4example0client0id0abcdefgh&logout_uri=https://d111111abcdef8.cloudfront.net/',
    });
  });

  it('puts the hashed assets first and index.html last, so a new index.html never names a missing file', () => {
    expect(order).toHaveLength(Object.keys(BUILD).length);
    expect(order.slice(0, 4).every((key) => key.startsWith('assets/'))).toBe(true);
    expect(order.slice(-2)).toEqual(['config.json', 'index.html']);
  });

  it('invalidates the two files that change in place, once', () => {
    expect(invalidations).toEqual([
      { distributionId: 'E2QWRUHAPOMQZL', paths: ['/index.html', '/config.json'] },
    ]);
  });
});

describe('deploy:web with the deployer’s own OpenID provider', () => {
  const own = (bucket: string): StackOutputs => ({
    SiteUrl: 'https://d222222abcdef8.cloudfront.net/',
    SiteBucketName: bucket,
    SiteDistributionId: 'E3OWNPROVIDER',
  });

  it('writes config.json from WEB_OIDC_* (or the functions’ JWT_* settings)', async () => {
    const bucket = await siteBucket();
    await deployWeb({
      dist: fakeDist({ 'index.html': '<!doctype html>' }),
      s3,
      outputs: own(bucket),
      invalidate: async () => {},
      env: {
        WEB_OIDC_AUTHORITY: 'https://login.example.com/realms/kite',
        WEB_OIDC_CLIENT_ID: 'kite-web',
        WEB_OIDC_LOGOUT_URL: 'https://login.example.com/realms/kite/logout',
      },
    });
    expect(JSON.parse((await text(bucket, 'config.json')) ?? '')).toEqual({
      signIn: 'oidc',
      authority: 'https://login.example.com/realms/kite',
      clientId: 'kite-web',
      scope: DEFAULT_SCOPE,
      logoutUrl: 'https://login.example.com/realms/kite/logout',
    });

    await deployWeb({
      dist: fakeDist({ 'index.html': '<!doctype html>' }),
      s3,
      outputs: own(bucket),
      invalidate: async () => {},
      env: { JWT_ISSUER: 'https://issuer.example.com/', JWT_CLIENT_ID: 'cid', WEB_OIDC_SCOPE: 'openid' },
    });
    expect(JSON.parse((await text(bucket, 'config.json')) ?? '')).toMatchObject({
      authority: 'https://issuer.example.com/',
      clientId: 'cid',
      scope: 'openid',
      logoutUrl: null,
    });
  });

  it('refuses, uploading nothing, when it cannot tell the app where to sign in', async () => {
    const bucket = await siteBucket();
    await expect(
      deployWeb({
        dist: fakeDist({ 'index.html': '<!doctype html>' }),
        s3,
        outputs: own(bucket),
        invalidate: async () => {},
        env: {},
      }),
    ).rejects.toThrow(/set WEB_OIDC_AUTHORITY \(or JWT_ISSUER\) and WEB_OIDC_CLIENT_ID/);
    expect(await keysIn(bucket)).toEqual([]);
  });
});

describe('deploy:web refuses what must not reach the site', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'a build with the local sign-in page',
      { 'index.html': '<!doctype html>', 'assets/app-1.js': 'location.assign("/local/sign-in")' },
      /local sign-in.*assets\/app-1\.js \(\/local\/sign-in\)/,
    ],
    [
      'a build with the local dev JWT secret',
      { 'index.html': `<script>const k="${DEV_ONLY_JWT_SECRET}"</script>` },
      /local sign-in.*index\.html/,
    ],
    ['a folder with no index.html (not built)', { 'assets/app-1.js': '' }, /no index\.html.*build:web/],
  ];
  for (const [name, files, message] of cases) {
    it(name, async () => {
      const bucket = await siteBucket();
      const invalidated: string[] = [];
      await expect(
        deployWeb({
          dist: fakeDist(files),
          s3,
          outputs: outputs(bucket),
          invalidate: async (id) => {
            invalidated.push(id);
          },
          env: {},
        }),
      ).rejects.toThrow(message);
      expect(await keysIn(bucket)).toEqual([]);
      expect(invalidated).toEqual([]);
    });
  }
});
