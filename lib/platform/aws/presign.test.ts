import { afterEach, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../config.js';
import { directPresigner, directTarget, envCredentials, type ObjectPresign } from './presign.js';
import { contentDisposition, createS3Client, presignWithClient } from './storage.js';

// Presigning is offline: both ways sign locally, nothing is sent anywhere.
const BASE = {
  DATABASE_URL: 'postgres://kite@127.0.0.1:5432/kite',
  CLASSIFY_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/kite-classify',
  EXTRACT_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/kite-extract',
  JWT_SECRET: 'a-dev-only-secret-of-at-least-32-characters',
};
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

const CONFIGS: Record<string, Record<string, string>> = {
  'a custom endpoint (the emulators), path-style': {
    S3_BUCKET: 'kite-test-documents',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
  },
  'a custom endpoint with a path and no port': {
    S3_BUCKET: 'kite-documents',
    AWS_REGION: 'eu-central-1',
    AWS_ENDPOINT_URL: 'https://storage.example.com/s3',
  },
  'AWS in us-east-1, virtual-hosted': {
    S3_BUCKET: 'kite-prod-documents-123456789012',
    AWS_REGION: 'us-east-1',
  },
  'AWS in eu-west-1': { S3_BUCKET: 'kite-documents', AWS_REGION: 'eu-west-1' },
};

// Keys as storageKey makes them (an escaped user id, a UUID, a sanitised name) and odder ones.
const KEYS = [
  'users/user-1/0b6f8e7a-3c1d-4f2e-9a8b-1c2d3e4f5a6b/report.pdf',
  'users/a%40b.example/0b6f8e7a-3c1d-4f2e-9a8b-1c2d3e4f5a6b/Q3_report_final.v2.pdf',
  'users/u/id/r\u00e9sum\u00e9 \u2713 \ud83d\udcc4.pdf',
  "users/u/id/a+b=c&d?e#f;g,h:i@j$k!l'm(n)o*p~q",
  'users/u//id/trailing/',
  'users/u/id/%2F..%2F',
];

const SIGNING_DATE = new Date('2026-12-01T09:30:00Z');

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

async function bothWays(cfg: Config, request: ObjectPresign): Promise<[string, string]> {
  // The SDK reads endpoints from the environment too (the suite's emulator): only the config may name one here.
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_ENDPOINT_URL_S3;
  const target = directTarget(cfg, {});
  const credentials = envCredentials();
  if (!target || !credentials) throw new Error('this configuration has no direct presigner');
  const direct = await directPresigner(cfg, target, credentials);
  const client = await createS3Client(cfg);
  try {
    return [await direct(request), await presignWithClient(client, cfg, request)];
  } finally {
    client.destroy();
  }
}

describe('presigned URLs without an S3 client', () => {
  for (const [name, env] of Object.entries(CONFIGS)) {
    describe(name, () => {
      const cfg = () => loadConfig({ ...BASE, ...env });

      it('a PUT with signed Content-Type and Content-Length is byte for byte the SDK’s', async () => {
        Object.assign(process.env, CREDENTIALS);
        for (const key of KEYS) {
          const request: ObjectPresign = {
            method: 'PUT',
            key,
            contentType: 'text/plain; charset=utf-8',
            contentLength: 1234567,
            expiresIn: 900,
            signingDate: SIGNING_DATE,
          };
          const [direct, sdk] = await bothWays(cfg(), request);
          expect(direct).toBe(sdk);
          expect(direct).toContain('X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost');
          // No checksum of the (absent) body is signed in: S3 would hold the uploaded bytes to it.
          expect(direct).not.toMatch(/checksum/i);
        }
      });

      it('a GET with response-content-disposition is byte for byte the SDK’s', async () => {
        Object.assign(process.env, CREDENTIALS);
        for (const [i, key] of KEYS.entries()) {
          const names = [
            'report.pdf',
            'r\u00e9sum\u00e9 "final" (2).pdf',
            "a'b;c\\d\u0007.txt",
            '\ud83d\udcc4 100%.pdf',
          ];
          const request: ObjectPresign = {
            method: 'GET',
            key,
            responseContentDisposition: contentDisposition(names[i % names.length] ?? 'x'),
            expiresIn: 300,
            signingDate: SIGNING_DATE,
          };
          const [direct, sdk] = await bothWays(cfg(), request);
          expect(direct).toBe(sdk);
          expect(direct).toContain('response-content-disposition=attachment');
        }
      });

      it('a session token is signed in the same way', async () => {
        Object.assign(process.env, CREDENTIALS, { AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjE/session+token==' });
        const [direct, sdk] = await bothWays(cfg(), {
          method: 'PUT',
          key: KEYS[1] ?? '',
          contentType: 'application/pdf',
          contentLength: 5,
          expiresIn: 900,
          signingDate: SIGNING_DATE,
        });
        expect(direct).toBe(sdk);
        expect(direct).toContain('X-Amz-Security-Token=');
      });
    });
  }
});

describe('which configurations are left to the SDK', () => {
  const cfg = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

  it('takes the emulator and AWS configurations directly', () => {
    for (const env of Object.values(CONFIGS)) expect(directTarget(cfg(env), {})).toBeDefined();
  });

  it('leaves dotted bucket names, other partitions and FIPS / dual-stack settings to the SDK', () => {
    expect(directTarget(cfg({ S3_BUCKET: 'kite.documents', AWS_REGION: 'us-east-1' }), {})).toBeUndefined();
    expect(directTarget(cfg({ S3_BUCKET: 'kite-documents', AWS_REGION: 'cn-north-1' }), {})).toBeUndefined();
    expect(
      directTarget(cfg({ S3_BUCKET: 'kite-documents', AWS_REGION: 'us-gov-west-1' }), {}),
    ).toBeUndefined();
    for (const setting of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
      expect(
        directTarget(cfg({ S3_BUCKET: 'kite-documents', AWS_REGION: 'us-east-1' }), { [setting]: 'true' }),
      ).toBeUndefined();
    }
  });

  it('needs credentials in the environment', () => {
    expect(envCredentials({})).toBeUndefined();
    expect(envCredentials({ AWS_ACCESS_KEY_ID: 'a' })).toBeUndefined();
    expect(envCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
  });
});
