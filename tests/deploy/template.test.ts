// Over 300 lines on purpose: one packaging run (slow) serves every assertion on the template and the zips, including
// the run of the extract package alone and the web app's site.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the template's Fn::Sub strings, as CloudFormation reads them
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNothingLocal, LOCAL_ONLY_MARKERS, planSite } from '../../deploy/web.js';
import { ROUTE_KEYS } from '../../lib/api/routes.js';
import { closeDb, db } from '../../lib/platform/db/client.js';
import { BUCKET_CORS } from '../../local/bucket.js';
import { renderPage, scannedPdf } from '../helpers/scans.js';
import { confirm, putBytes, requestUpload } from '../helpers/uploads.js';
import { newUser } from '../helpers/users.js';
import { zipFiles } from '../helpers/zip.js';

/** `npm run package:aws` offline, then assertions on the CloudFormation it would deploy. */
type Resource = {
  Type: string;
  Properties: any;
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
let dir = '';
let template: {
  Resources: Record<string, Resource>;
  Conditions: Record<string, unknown>;
  Parameters: Record<string, any>;
  Outputs: Record<string, any>;
};
let resources: Record<string, Resource> = {};

const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const FUNCTIONS = {
  'upload-url': 'UploadDashurl',
  confirm: 'Confirm',
  multipart: 'Multipart',
  documents: 'Documents',
  trash: 'Trash',
  topics: 'Topics',
  'admin-topics': 'AdminDashtopics',
  'admin-users': 'AdminDashusers',
  search: 'Search',
  me: 'Me',
  keys: 'Keys',
  openapi: 'Openapi',
  'not-found': 'NotDashfound',
  classify: 'Classify',
  extract: 'Extract',
  purge: 'Purge',
};
/** The one function that carries OCR (docs/deploy.md "The extract function"): Lambda's limits, not the 1 MB target. */
const OCR_FUNCTION = 'extract';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kite-package-'));
  execFileSync('npx', ['tsx', 'scripts/package-aws.ts', '--stage', 'prod', '--package', dir], {
    env: { ...process.env, ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com' },
    stdio: 'pipe',
    // A hung packaging fails here, with its output, rather than at the hook's timeout with a stray process.
    timeout: 240_000,
    killSignal: 'SIGKILL',
  });
  template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 300_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeDb();
});

function zipEntries(file: string): string[] {
  return [...zipFiles(file).keys()].sort();
}

describe('the prod CloudFormation template', () => {
  it("has every function on nodejs22.x, bundled separately under 1 MB zipped (extract: under Lambda's limits)", () => {
    for (const [name, id] of Object.entries(FUNCTIONS)) {
      const fn = resources[`${id}LambdaFunction`];
      expect(fn?.Type, name).toBe('AWS::Lambda::Function');
      expect(fn?.Properties.Runtime).toBe('nodejs22.x');
      expect(fn?.Properties.Handler).toBe(`functions/${name}.handler`);
      const size = statSync(join(dir, `${name}.zip`)).size;
      expect(size, `${name}.zip`).toBeLessThanOrEqual(name === OCR_FUNCTION ? 50 * 1024 ** 2 : 1024 * 1024);
    }
    const unzipped = [...zipFiles(join(dir, `${OCR_FUNCTION}.zip`)).values()].reduce(
      (sum, b) => sum + b.length,
      0,
    );
    expect(unzipped).toBeLessThan(250 * 1024 ** 2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.zip'))).toHaveLength(Object.keys(FUNCTIONS).length);
  });

  it('ships the lazily loaded chunks (PDF.js, OpenAI SDK) only in the zips that load them', () => {
    const expected: Record<string, string[]> = {
      classify: ['functions/classify.openai.mjs', 'functions/classify.pdf.mjs'],
      extract: ['functions/extract.pdfjs-worker.mjs', 'functions/extract.pdfjs.mjs'],
    };
    for (const name of Object.keys(FUNCTIONS)) {
      const files = zipEntries(join(dir, `${name}.zip`));
      expect(files, name).toContain(`functions/${name}.js`);
      const chunks = files.filter((file) => file.endsWith('.mjs'));
      expect(chunks, name).toEqual(expected[name] ?? []);
    }
  });

  it('ships the OCR files (WASM, language data, worker, fonts, the canvas binary) in the extract zip only', () => {
    const files = zipEntries(join(dir, `${OCR_FUNCTION}.zip`));
    expect(files).toEqual(
      expect.arrayContaining([
        'ocr/tesseract-worker.js',
        'ocr/tesseract-core-simd.wasm',
        'ocr/tesseract-core-relaxedsimd.wasm',
        'ocr/lang/eng.traineddata.gz',
        'ocr/standard_fonts/LiberationSans-Regular.ttf',
        'node_modules/@napi-rs/canvas/index.js',
        'node_modules/@napi-rs/canvas-linux-x64-gnu/skia.linux-x64-gnu.node',
      ]),
    );
    for (const name of Object.keys(FUNCTIONS).filter((n) => n !== OCR_FUNCTION)) {
      const others = zipEntries(join(dir, `${name}.zip`));
      // Nothing of OCR reached another function: no asset, no native module, no tesseract or pdf.js in its bundle.
      expect(
        others.filter((file) => /^(ocr|node_modules)\//.test(file)),
        name,
      ).toEqual([]);
      const bundle =
        zipFiles(join(dir, `${name}.zip`))
          .get(`functions/${name}.js`)
          ?.toString('utf8') ?? '';
      expect(/tesseract-core|tesseract-worker|createWorker|@napi-rs\/canvas/.test(bundle), name).toBe(false);
    }
    expect(resources.ExtractLambdaFunction?.Properties).toMatchObject({
      Architectures: ['x86_64'],
      MemorySize: 2048,
      Timeout: 600,
    });
  });

  it('ships source maps that map our code only (deploy/esbuild-plugins.cjs)', () => {
    for (const name of Object.keys(FUNCTIONS)) {
      const map = JSON.parse(
        zipFiles(join(dir, `${name}.zip`))
          .get(`functions/${name}.js.map`)
          ?.toString('utf8') ?? '{}',
      );
      const ownSources = (map.sources as string[]).flatMap((source, index) =>
        /[\\/]node_modules[\\/]/.test(source) ? [] : [index],
      );
      const mappedSources = new Set(
        decode(map.mappings).flatMap((line) => line.filter((s) => s.length > 1).map((s) => s[1])),
      );
      expect(mappedSources.size, name).toBeGreaterThan(0);
      expect(
        [...mappedSources].filter((index) => !ownSources.includes(index as number)),
        name,
      ).toEqual([]);
    }
  });

  it('ships no test code, though unit tests sit beside lib/ (README "Layout")', () => {
    for (const name of Object.keys(FUNCTIONS)) {
      const files = zipFiles(join(dir, `${name}.zip`));
      expect(
        [...files.keys()].filter((file) => /\.test\.|(^|\/)tests\//.test(file)),
        name,
      ).toEqual([]);
      const map = JSON.parse(files.get(`functions/${name}.js.map`)?.toString('utf8') ?? '{}');
      expect(
        (map.sources as string[]).filter((source) =>
          /\.test\.ts$|[\\/]tests[\\/]|[\\/]vitest[\\/]/.test(source),
        ),
        name,
      ).toEqual([]);
    }
  });

  it('routes exactly the routes of lib/api/routes.ts (plus the /api catch-all 404)', () => {
    const routes = byType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual([...ROUTE_KEYS, 'ANY /api/{proxy+}'].sort());
  });

  it('answers CORS for the configured web origins', () => {
    const [, api] = byType('AWS::ApiGatewayV2::Api')[0] ?? [];
    expect(api?.Properties.CorsConfiguration.AllowOrigins).toEqual([
      'https://app.example.com',
      'https://admin.example.com',
    ]);
    expect(api?.Properties.CorsConfiguration.AllowHeaders).toEqual(
      expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match']),
    );
    expect(api?.Properties.CorsConfiguration.ExposeHeaders).toEqual(['ETag']);
  });

  it('feeds classify from the queue with partial batch responses and bounded concurrency', () => {
    const mapping = byType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r)
      .find((r) => JSON.stringify(r.Properties.EventSourceArn).includes('ClassifyQueue'));
    expect(mapping?.Properties).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      EventSourceArn: { 'Fn::GetAtt': ['ClassifyQueue', 'Arn'] },
    });
    const queue = resources.ClassifyQueue?.Properties;
    const timeout = resources.ClassifyLambdaFunction?.Properties.Timeout;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['ClassifyDeadLetterQueue', 'Arn'],
    });
    expect(Number(queue.RedrivePolicy.maxReceiveCount)).toBe(3); // = CLASSIFY_MAX_ATTEMPTS
    expect(resources.ClassifyDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
  });

  it('feeds extract from its own queue, one document per invocation, dead-lettered after its attempts', () => {
    const mapping = byType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r)
      .find((r) => JSON.stringify(r.Properties.EventSourceArn).includes('ExtractQueue'));
    expect(mapping?.Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': ['ExtractQueue', 'Arn'] },
    });
    expect(JSON.stringify(mapping?.Properties.FunctionName)).toContain('ExtractLambdaFunction');
    const queue = resources.ExtractQueue?.Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * resources.ExtractLambdaFunction?.Properties.Timeout,
    );
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['ExtractDeadLetterQueue', 'Arn'],
    });
    expect(resources.ExtractDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
  });

  it('runs the purge on its schedule', () => {
    const rules = byType('AWS::Events::Rule').map(([, r]) => r.Properties);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.ScheduleExpression).toBe('rate(15 minutes)');
    expect(JSON.stringify(rules[0]?.Targets)).toContain('PurgeLambdaFunction');
  });

  it('keeps the bucket private, encrypted, TLS-only, with browser CORS and multipart cleanup', () => {
    const bucket = resources.DocumentsBucket?.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('AES256');
    // The rule the local buckets get, so the browser and strict-S3 tests prove what this bucket allows; the origins
    // are the site's (CloudFront's domains: deploy/origins.cjs says why not its exact one) and ALLOWED_ORIGINS.
    expect(bucket.CorsConfiguration.CorsRules[0]).toEqual({
      AllowedOrigins: ['https://*.cloudfront.net', 'https://app.example.com', 'https://admin.example.com'],
      AllowedMethods: BUCKET_CORS.methods,
      AllowedHeaders: BUCKET_CORS.headers,
      ExposedHeaders: BUCKET_CORS.exposedHeaders,
      MaxAge: BUCKET_CORS.maxAgeSeconds,
    });
    expect(bucket.LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation).toBe(1);
    const policy = resources.DocumentsBucketPolicy?.Properties.PolicyDocument.Statement[0];
    expect(policy).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('takes secrets from Secrets Manager at deploy time, never from the repository', () => {
    for (const id of Object.values(FUNCTIONS)) {
      const env = resources[`${id}LambdaFunction`]?.Properties.Environment.Variables;
      expect(env.DATABASE_URL).toBe('{{resolve:secretsmanager:kite/prod:SecretString:DATABASE_URL}}');
      expect(env.OPENAI_API_KEY).toBe('{{resolve:secretsmanager:kite/prod:SecretString:OPENAI_API_KEY}}');
      // No HS256 secret on AWS: the key is left out of the environment (see 'the local sign-in' below).
      expect(env.JWT_SECRET).toEqual({ Ref: 'AWS::NoValue' });
      expect(env.S3_BUCKET).toEqual({ Ref: 'DocumentsBucket' });
      expect(env.CLASSIFY_QUEUE_URL).toEqual({ Ref: 'ClassifyQueue' });
      expect(env.EXTRACT_QUEUE_URL).toEqual({ Ref: 'ExtractQueue' });
      expect(env.AWS_ENDPOINT_URL).toBe('');
    }
  });

  it('grants each function only what it uses, with no wildcard action or resource', () => {
    const roles = byType('AWS::IAM::Role');
    const grants: Record<string, string[]> = {};
    for (const [id, role] of roles) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          for (const action of actions) expect(action, `${id} ${action}`).not.toMatch(/\*/);
          for (const resource of [statement.Resource].flat()) {
            const text = JSON.stringify(resource);
            expect(text, `${id} resource`).not.toBe('"*"');
            if (actions.includes('s3:ListBucketMultipartUploads')) {
              // A bucket-level action: only on the documents bucket, and only for listings under users/.
              expect(actions, `${id} bucket-level statement`).toEqual(['s3:ListBucketMultipartUploads']);
              expect(resource).toEqual({ 'Fn::GetAtt': ['DocumentsBucket', 'Arn'] });
              expect(statement.Condition).toEqual({ StringLikeIfExists: { 's3:prefix': 'users/*' } });
            } else if (actions.some((a) => a.startsWith('s3:'))) {
              expect(text).toMatch(/DocumentsBucket.*\/users\/\*/);
            }
            if (actions.some((a) => a.startsWith('sqs:'))) expect(text).toMatch(/ClassifyQueue|ExtractQueue/);
            if (actions.some((a) => a.startsWith('logs:')))
              expect(text).toMatch(/log-group:\/aws\/lambda\/kite-prod/);
          }
          if (statement.Effect === 'Allow') {
            grants[id] = [...(grants[id] ?? []), ...actions.filter((a) => !a.startsWith('logs:'))];
          }
        }
      }
    }
    const roleOf = (fn: string) => {
      const role = resources[`${FUNCTIONS[fn as keyof typeof FUNCTIONS]}LambdaFunction`]?.Properties.Role;
      return role['Fn::GetAtt'][0] as string;
    };
    const actionsOf = (fn: string) => [...new Set(grants[roleOf(fn)] ?? [])].sort();
    expect(actionsOf('upload-url')).toEqual(['s3:PutObject']);
    expect(actionsOf('confirm')).toEqual(['s3:DeleteObject', 's3:GetObject', 'sqs:SendMessage']);
    expect(actionsOf('extract')).toEqual(
      [
        's3:DeleteObject',
        's3:GetObject',
        's3:PutObject',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ].sort(),
    );
    expect(actionsOf('documents')).toEqual(['s3:DeleteObject', 's3:GetObject', 'sqs:SendMessage']);
    expect(actionsOf('classify')).toEqual(
      ['s3:GetObject', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].sort(),
    );
    expect(actionsOf('multipart')).toEqual(
      ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'].sort(),
    );
    expect(actionsOf('purge')).toEqual(
      [
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:ListBucketMultipartUploads',
        'sqs:SendMessage',
      ].sort(),
    );
    for (const fn of [
      'topics',
      'admin-topics',
      'admin-users',
      'search',
      'me',
      'keys',
      'openapi',
      'not-found',
    ]) {
      expect(
        actionsOf(fn).filter((a) => /^(s3|sqs):/.test(a)),
        fn,
      ).toEqual([]);
    }
  });
});

/** The serverless config as `serverless print` resolves it for stage prod in this environment (no packaging). */
function printConfig(env: Record<string, string>): { status: number | null; config: any; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [
      createRequire(import.meta.url).resolve('osls/bin/serverless.js'),
      'print',
      '--stage',
      'prod',
      '--format',
      'json',
    ],
    {
      env: {
        ...process.env,
        JWKS_URL: '',
        JWT_ISSUER: '',
        JWT_CLIENT_ID: '',
        ALLOWED_ORIGINS: '',
        SLS_TELEMETRY_DISABLED: '1',
        ...env,
      },
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    },
  );
  return {
    status: result.status,
    config: result.status === 0 ? JSON.parse(result.stdout) : undefined,
    stderr: `${result.stdout}${result.stderr}`,
  };
}

/** The managed CloudFront policies (the same ids in every account). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

describe('the web app on AWS: one CloudFront origin (docs/deploy.md "The web app on AWS")', () => {
  const distribution = () => resources.SiteDistribution?.Properties.DistributionConfig;
  const csp = () =>
    resources.SiteHeadersPolicy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig
      .ContentSecurityPolicy.ContentSecurityPolicy;
  /** The policy's directives, by name. */
  const directives = (policy: string) =>
    new Map(
      policy.split(';').map((part) => {
        const [name = '', ...sources] = part.trim().split(/\s+/);
        return [name, sources];
      }),
    );

  it('keeps the site bucket private: all public access blocked, bucket owner enforced, no website', () => {
    expect(byType('AWS::CloudFront::Distribution').map(([id]) => id)).toEqual(['SiteDistribution']);
    const bucket = resources.SiteBucket?.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.WebsiteConfiguration).toBeUndefined();
    expect(bucket.AccessControl).toBeUndefined();
    // No bucket of the stack lets anyone in: every Allow names a service principal bound to a source.
    for (const [id, policy] of byType('AWS::S3::BucketPolicy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Effect === 'Allow') {
          expect(statement.Principal, id).not.toBe('*');
          expect(statement.Principal, id).not.toEqual({ AWS: '*' });
          expect(statement.Condition, id).toBeDefined();
        }
      }
    }
  });

  it('lets only this distribution read the site, through an Origin Access Control', () => {
    const [allow, ...others] = (resources.SiteBucketPolicy?.Properties.PolicyDocument.Statement ?? []).filter(
      (statement: any) => statement.Effect === 'Allow',
    );
    expect(others).toEqual([]);
    expect(allow).toEqual({
      Sid: 'CloudFrontReadsTheSite',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['SiteBucket', 'Arn'] }, '/*']] },
      Condition: {
        StringEquals: {
          'AWS:SourceArn': {
            'Fn::Sub': 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${SiteDistribution}',
          },
        },
      },
    });
    expect(resources.SiteBucketPolicy?.Properties.Bucket).toEqual({ Ref: 'SiteBucket' });
    expect(resources.SiteOriginAccessControl?.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const site = distribution().Origins.find((origin: any) => origin.Id === 'site');
    expect(site).toEqual({
      Id: 'site',
      DomainName: { 'Fn::GetAtt': ['SiteBucket', 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': ['SiteOriginAccessControl', 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(distribution().DefaultCacheBehavior).toMatchObject({
      TargetOriginId: 'site',
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: CACHING_OPTIMIZED,
    });
  });

  it('sends /api/* to the HTTP API over HTTPS, uncached, with Authorization and without the Host', () => {
    const api = distribution().Origins.find((origin: any) => origin.Id === 'api');
    expect(api).toEqual({
      Id: 'api',
      DomainName: { 'Fn::Sub': '${HttpApi}.execute-api.${AWS::Region}.amazonaws.com' },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    expect(distribution().CacheBehaviors).toEqual([
      {
        PathPattern: '/api/*',
        TargetOriginId: 'api',
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachedMethods: ['GET', 'HEAD'],
        Compress: true,
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    ]);
  });

  it('answers deep links with index.html by a function, never by CustomErrorResponses', () => {
    expect(distribution().CustomErrorResponses).toBeUndefined();
    expect(distribution().DefaultRootObject).toBe('index.html');
    expect(distribution().DefaultCacheBehavior.FunctionAssociations).toEqual([
      {
        EventType: 'viewer-request',
        FunctionARN: { 'Fn::GetAtt': ['SiteDeepLinks', 'FunctionMetadata.FunctionARN'] },
      },
    ]);
    const fn = resources.SiteDeepLinks?.Properties;
    expect(fn.AutoPublish).toBe(true);
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // The deployed code itself, run on the requests CloudFront would hand it.
    const handler = new Function(`${fn.FunctionCode}; return handler;`)();
    const uriFor = (uri: string) => handler({ request: { uri, method: 'GET' } }).uri;
    for (const screen of ['/', '/documents', '/documents/42', '/auth/callback', '/admin/users/']) {
      expect(uriFor(screen), screen).toBe('/index.html');
    }
    for (const file of ['/index.html', '/config.json', '/assets/index-B1x2y3z4.js', '/favicon.ico']) {
      expect(uriFor(file), file).toBe(file);
    }
  });

  it('sends security headers with the site: a CSP that allows only what the app needs, HSTS, nosniff', () => {
    expect(distribution().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: 'SiteHeadersPolicy' });
    const headers = resources.SiteHeadersPolicy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true, Override: true });
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ContentSecurityPolicy.Override).toBe(true);

    const [policy, variables] = csp()['Fn::Sub'];
    const bucket = 'https://${DocumentsBucket}.s3.${AWS::Region}.amazonaws.com';
    const parts = directives(policy);
    expect(parts.get('default-src')).toEqual(["'self'"]);
    expect(parts.get('script-src')).toEqual(["'self'"]);
    expect(parts.get('style-src')).toEqual(["'self'"]);
    expect(parts.get('connect-src')).toEqual(["'self'", bucket, '${OidcOrigins}']);
    expect(parts.get('img-src')).toEqual(["'self'", 'data:', 'blob:', bucket]);
    expect(parts.get('frame-src')).toEqual([bucket]);
    expect(parts.get('object-src')).toEqual(["'none'"]);
    expect(parts.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy).not.toMatch(/unsafe-|\s\*|https:(\s|;|$)/);
    // The OIDC endpoints: the pool's issuer (discovery, JWKS) and its hosted UI (token endpoint).
    expect(variables.OidcOrigins['Fn::If'][0]).toBe('CreateUserPool');
    expect(variables.OidcOrigins['Fn::If'][1]).toEqual({
      'Fn::Sub':
        'https://cognito-idp.${AWS::Region}.amazonaws.com https://kite-prod-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com',
    });
    expect(resources.UserPoolDomain?.Properties.Domain).toEqual({ 'Fn::Sub': 'kite-prod-${AWS::AccountId}' });
    // The documents bucket's origin in the CSP is where the SDK presigns: virtual-hosted, regional.
    expect(bucket).toContain('${DocumentsBucket}.s3.${AWS::Region}');
  });

  it('answers CORS on the API only for the origins ALLOWED_ORIGINS names (the site is same-origin)', () => {
    const { status, config, stderr } = printConfig({});
    expect(status, stderr).toBe(0);
    expect(config.provider.httpApi.cors).toBe(false);
    expect(
      config.resources.Resources.DocumentsBucket.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins,
    ).toEqual(['https://*.cloudfront.net']);
  });
});

describe('signing in with the stack’s Cognito user pool (docs/deploy.md "Signing in")', () => {
  const COGNITO = ['UserPool', 'UserPoolAdminGroup', 'UserPoolDomain', 'UserPoolClient'];

  it('creates the pool unless the deployer names their own provider (CloudFormation condition)', () => {
    expect(template.Parameters.OwnJwksUrl).toMatchObject({ Type: 'String', Default: '' });
    expect(template.Conditions.CreateUserPool).toEqual({ 'Fn::Equals': [{ Ref: 'OwnJwksUrl' }, ''] });
    for (const id of COGNITO) expect(resources[id]?.Condition, id).toBe('CreateUserPool');
    for (const output of ['UserPoolId', 'UserPoolClientId', 'OidcAuthority', 'OidcLogoutUrl']) {
      expect(template.Outputs[output]?.Condition, output).toBe('CreateUserPool');
    }
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['SiteUrl', 'SiteBucketName', 'SiteDistributionId']),
    );
  });

  it('has email sign-in, an admin group and a hosted UI, and outlives the stack (its subs are user ids)', () => {
    const pool = resources.UserPool;
    expect(pool?.Properties.UsernameAttributes).toEqual(['email']);
    expect(pool?.Properties.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool?.DeletionPolicy).toBe('Retain');
    expect(pool?.UpdateReplacePolicy).toBe('Retain');
    expect(resources.UserPoolAdminGroup?.Properties).toMatchObject({
      GroupName: 'admin',
      UserPoolId: { Ref: 'UserPool' },
    });
    expect(resources.UserPoolDomain?.Properties.UserPoolId).toEqual({ Ref: 'UserPool' });
  });

  it('gives the web app a public client: code flow (PKCE), no secret, only the site’s URLs', () => {
    expect(resources.UserPoolClient?.Properties).toMatchObject({
      UserPoolId: { Ref: 'UserPool' },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [{ 'Fn::Sub': 'https://${SiteDistribution.DomainName}/auth/callback' }],
      LogoutURLs: [{ 'Fn::Sub': 'https://${SiteDistribution.DomainName}/' }],
    });
    expect(template.Outputs.OidcLogoutUrl.Value['Fn::Sub']).toBe(
      'https://kite-prod-${AWS::AccountId}.auth.${AWS::Region}.amazoncognito.com/logout?client_id=${UserPoolClient}&logout_uri=https://${SiteDistribution.DomainName}/',
    );
    expect(template.Outputs.OidcAuthority.Value).toEqual({
      'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}',
    });
  });

  it('has every function verify the pool’s access tokens: JWKS, issuer and client id', () => {
    for (const id of Object.values(FUNCTIONS)) {
      const env = resources[`${id}LambdaFunction`]?.Properties.Environment.Variables;
      expect(env.JWKS_URL, id).toEqual({
        'Fn::If': [
          'CreateUserPool',
          { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}/.well-known/jwks.json' },
          { Ref: 'OwnJwksUrl' },
        ],
      });
      expect(env.JWT_ISSUER, id).toEqual({
        'Fn::If': [
          'CreateUserPool',
          { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}' },
          { Ref: 'OwnIssuer' },
        ],
      });
      expect(env.JWT_CLIENT_ID, id).toEqual({
        'Fn::If': ['CreateUserPool', { Ref: 'UserPoolClient' }, { Ref: 'OwnClientId' }],
      });
    }
  });

  it('takes the deployer’s own provider instead when JWKS_URL is set', () => {
    const { status, config, stderr } = printConfig({
      JWKS_URL: 'https://login.example.com/realms/kite/protocol/openid-connect/certs',
      JWT_ISSUER: 'https://login.example.com/realms/kite',
      JWT_CLIENT_ID: 'kite-web',
      WEB_OIDC_ORIGINS: 'https://tokens.example.net/oauth2',
    });
    expect(status, stderr).toBe(0);
    const { Parameters, Resources } = config.resources;
    expect(Parameters.OwnJwksUrl.Default).toBe(
      'https://login.example.com/realms/kite/protocol/openid-connect/certs',
    );
    expect(Parameters.OwnIssuer.Default).toBe('https://login.example.com/realms/kite');
    expect(Parameters.OwnClientId.Default).toBe('kite-web');
    const csp =
      Resources.SiteHeadersPolicy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig
        .ContentSecurityPolicy.ContentSecurityPolicy;
    expect(csp['Fn::Sub'][1].OidcOrigins['Fn::If'][2]).toBe(
      'https://login.example.com https://tokens.example.net',
    );

    const issuerAlone = printConfig({ JWT_ISSUER: 'https://login.example.com/realms/kite' });
    expect(issuerAlone.status).not.toBe(0);
    expect(issuerAlone.stderr).toContain('JWT_ISSUER is set without JWKS_URL');
  });
});

describe('the local sign-in is not deployed (docs/deploy.md "Signing in")', () => {
  it('is in no function bundle: no page, no dev secret, no local/ code', () => {
    for (const name of Object.keys(FUNCTIONS)) {
      const files = zipFiles(join(dir, `${name}.zip`));
      for (const [file, body] of files) {
        for (const marker of LOCAL_ONLY_MARKERS)
          expect(body.includes(marker), `${name}: ${file}`).toBe(false);
      }
      const map = JSON.parse(files.get(`functions/${name}.js.map`)?.toString('utf8') ?? '{}');
      expect(
        (map.sources as string[]).filter(
          // The repository's local/ folder (npm start, dev tokens), not lib/…/local/ (the local classifier).
          (source) => /^(\.\.[\\/])*local[\\/]/.test(source),
        ),
        name,
      ).toEqual([]);
    }
  });

  it('leaves the functions no HS256 path: no JWT_SECRET, and a JWKS URL in either case', () => {
    for (const id of Object.values(FUNCTIONS)) {
      const env = resources[`${id}LambdaFunction`]?.Properties.Environment.Variables;
      expect(env.JWT_SECRET, id).toEqual({ Ref: 'AWS::NoValue' });
      // With the pool: its JWKS. Without: OwnJwksUrl, which is exactly the case where it is not empty.
      const [condition, withPool, without] = env.JWKS_URL['Fn::If'];
      expect(condition).toBe('CreateUserPool');
      expect(withPool['Fn::Sub']).toMatch(/^https:\/\//);
      expect(without).toEqual({ Ref: 'OwnJwksUrl' });
    }
    expect(template.Conditions.CreateUserPool).toEqual({ 'Fn::Equals': [{ Ref: 'OwnJwksUrl' }, ''] });
  });

  // The web app is built by `npm run build:web` into web/dist (deploy:web refuses a build that carries it, too).
  const packageJson = JSON.parse(readFileSync('package.json', 'utf8'));
  it.runIf(existsSync('web/dist/index.html') || Boolean(packageJson.scripts['build:web']))(
    'is in no file of the built web app',
    () => {
      if (!existsSync('web/dist/index.html')) {
        execFileSync('npm', ['run', 'build:web'], { stdio: 'pipe', timeout: 240_000, killSignal: 'SIGKILL' });
      }
      const files = planSite('web/dist', {
        signIn: 'oidc',
        authority: 'https://issuer.example',
        clientId: 'c',
        scope: 's',
        logoutUrl: null,
      });
      expect(files.length).toBeGreaterThan(1);
      expect(() => assertNothingLocal(files)).not.toThrow();
    },
    300_000,
  );
});
describe("the extract function's package, unzipped alone", () => {
  it('reads a scan with no node_modules but its own and no network, against the stack', async () => {
    // Outside the repository, so nothing resolves from the project's node_modules.
    const alone = mkdtempSync(join(tmpdir(), 'kite-extract-alone-'));
    try {
      for (const [name, bytes] of zipFiles(join(dir, `${OCR_FUNCTION}.zip`))) {
        mkdirSync(join(alone, name, '..'), { recursive: true });
        writeFileSync(join(alone, name), bytes);
      }
      const { token } = await newUser({ label: 'package' });
      const pdf = scannedPdf([renderPage(['Packaged OCR reads this line', 'Reference 55-AB-2026'])]);
      const ticket = await requestUpload(token, {
        filename: 'scan.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
      });
      await putBytes(ticket, pdf);
      expect((await confirm(token, ticket.document.id)).status).toBe(200);
      writeFileSync(join(alone, 'invoke.cjs'), INVOKE);

      const child = spawnSync(
        process.execPath,
        ['--require', join(__dirname, '..', 'helpers', 'no-network.cjs'), 'invoke.cjs', ticket.document.id],
        { cwd: alone, env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8', timeout: 120_000 },
      );

      expect(child.stderr).not.toContain('NETWORK-ATTEMPT');
      expect(child.status, child.stderr).toBe(0);
      expect(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ batchItemFailures: [] });
      const row = await db()
        .selectFrom('documents as d')
        .innerJoin('document_search as s', 's.document_id', 'd.id')
        .select(['d.text_source', 'd.page_count', 'd.thumbnail_key', 's.content'])
        .where('d.id', '=', ticket.document.id)
        .executeTakeFirst();
      expect(row).toMatchObject({ text_source: 'ocr', page_count: 1 });
      expect(row?.thumbnail_key).toMatch(/\.thumbnail\.webp$/);
      expect(row?.content).toContain('Reference 55-AB-2026');
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  }, 180_000);
});

/** What Lambda does with the package: load functions/extract.js, call its handler with an SQS event. */
const INVOKE = `
const { handler } = require('./functions/extract.js');
const documentId = process.argv[2];
const event = { Records: [{ messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify({ documentId }),
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:0:extract',
  awsRegion: 'us-east-1' }] };
const started = Date.now();
const context = { functionName: 'extract', awsRequestId: 'local', getRemainingTimeInMillis: () => 600000 - (Date.now() - started) };
handler(event, context).then((result) => {
  console.log(JSON.stringify(result));
  // Lambda freezes the instance; here the OCR worker thread would keep the process alive.
  process.exit(0);
}, (error) => { console.error(error); process.exit(1); });
`;
