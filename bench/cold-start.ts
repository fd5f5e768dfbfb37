// Over 300 lines on purpose: the cold-start bench builds each function the way serverless-esbuild does, then times
// fresh Node processes loading and answering; the build and the probes only make sense together.
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { ROUTE_KEYS } from '../lib/api/routes.js';
import { signDevToken } from '../local/token.js';
import { matchRoute } from '../tests/helpers/api-gateway.js';
import { startFakeLlm } from '../tests/helpers/fake-llm.js';
import { putBytes, requestUpload, uploadDocument } from '../tests/helpers/uploads.js';
import { percentile } from './requests.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * Cold start per function: the bundle serverless-esbuild ships (same options and plugins: bundle, minify, node20,
 * cjs), its size, and the time a fresh Node process takes to require it and serve its first invocation (median of
 * 10). The target applies to that span (require + first invocation, what our code costs); the time since the
 * process's origin, which adds Node's own boot, is printed beside it with a bare `node` process as its baseline.
 */

const execFileAsync = promisify(execFile);

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);

/** What the first invocations work on, made in-process before any probe runs. */
interface Fixtures {
  token: string;
  /** Pending documents whose bytes are already in S3: one confirm per run. */
  pending: string[];
  /** Confirmed documents: one classification per run. */
  uploaded: string[];
  /** A confirmed document for GET /api/documents/{id} (presigned download URL). */
  confirmed: string;
}

/**
 * Each case is a function's bundle and the request its first invocation serves; every case does the real work of
 * its route (DB, S3, SQS, the LLM), so a lazily loaded SDK is counted where a route needs it.
 */
const CASES: { name: string; fn: string; event: (f: Fixtures, run: number) => object }[] = [
  {
    name: 'upload-url',
    fn: 'upload-url',
    event: (f) =>
      http('POST', '/api/documents/upload-url', f.token, {
        body: JSON.stringify({ filename: 'cold.txt', contentType: 'text/plain', size: 5 }),
      }),
  },
  {
    name: 'confirm',
    fn: 'confirm',
    event: (f, run) => http('POST', `/api/documents/${f.pending[run]}/confirm`, f.token),
  },
  { name: 'documents (list)', fn: 'documents', event: (f) => http('GET', '/api/documents', f.token) },
  {
    name: 'documents (get, presigned GET)',
    fn: 'documents',
    event: (f) => http('GET', `/api/documents/${f.confirmed}`, f.token),
  },
  { name: 'topics', fn: 'topics', event: (f) => http('GET', '/api/topics', f.token) },
  { name: 'admin-topics', fn: 'admin-topics', event: (f) => http('GET', '/api/admin/topics', f.token) },
  { name: 'admin-users', fn: 'admin-users', event: (f) => http('GET', '/api/admin/users', f.token) },
  { name: 'me', fn: 'me', event: (f) => http('GET', '/api/me', f.token) },
  { name: 'keys', fn: 'keys', event: (f) => http('GET', '/api/keys', f.token) },
  { name: 'not-found', fn: 'not-found', event: (f) => http('GET', '/api/settings', f.token) },
  {
    name: 'classify (S3 read + LLM)',
    fn: 'classify',
    event: (f, run) => ({
      Records: [
        {
          messageId: `m${run}`,
          receiptHandle: `r${run}`,
          body: JSON.stringify({ documentId: f.uploaded[run] }),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kite-bench-classify',
          awsRegion: 'us-east-1',
        },
      ],
    }),
  },
  {
    name: 'purge (nothing due)',
    fn: 'purge',
    event: () => ({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
  },
];

/** The event API Gateway would send: the route key it matched and the path parameters. */
function http(method: string, path: string, token: string, extra: { body?: string } = {}) {
  const { routeKey, pathParameters } = matchRoute(ROUTE_KEYS, method, path);
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(extra.body ? { body: extra.body } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'cold',
    },
  };
}

// Prints {start: ms from the process's origin to require, served: ms from require to the answer, result}.
const PROBE = `
const [bundle, eventJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const context = { awsRequestId: 'cold', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
const start = performance.now();
const { handler } = require(bundle);
Promise.resolve(handler(event, context)).then(
  (result) => ({ result: result ?? {} }),
  (error) => ({ result: { error: String(error) } }),
).then(({ result }) => {
  process.stdout.write(JSON.stringify({ start, served: performance.now() - start, result }));
  process.exit(0);
});
`;

// The deploy build's plugins, minus the source-map pass (the bench builds no maps).
// npm runs scripts from the package root.
const require = createRequire(join(process.cwd(), 'bench', 'cold-start.ts'));
const deployPlugins = (require('../deploy/esbuild-plugins.cjs') as Plugin[]).filter(
  (plugin) => plugin.name !== 'own-code-source-maps',
);

/** Confirmed and pending documents for the cases above, made with the in-process handlers. */
async function makeFixtures(): Promise<Fixtures> {
  const token = await signDevToken(`bench-cold-${randomUUID()}`, { admin: true });
  const pending: string[] = [];
  const uploaded: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const ticket = await requestUpload(token, { filename: `pending-${i}.txt`, size: 5 });
    await putBytes(ticket, 'hello');
    pending.push(ticket.document.id);
    uploaded.push(await uploadDocument(token, `invoice ${i} from ACME, due in 30 days`));
  }
  return { token, pending, uploaded, confirmed: uploaded[0] ?? '' };
}

/**
 * Baselines: bundles that do only what an S3 route cannot avoid. Presigning one PUT with the SDK's getSignedUrl
 * (what upload-url did before, a whole client), with the SDK's presigner and no client (what lib/platform/aws/presign.ts does),
 * and one HeadObject to the bench's S3 server (what confirm cannot do without a client).
 */
const BASELINES: { name: string; summaryKey: string; contents: string }[] = [
  {
    name: 'baseline: S3 SDK alone, one presign (getSignedUrl with a client)',
    summaryKey: 's3SdkFloorMs',
    contents: `
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
export const handler = async () => {
  const client = new S3Client({ region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED' });
  const command = new PutObjectCommand({ Bucket: 'bench-bucket', Key: 'k', ContentType: 'text/plain', ContentLength: 5 });
  const url = await getSignedUrl(client, command, { expiresIn: 60, signableHeaders: new Set(['content-type', 'content-length']) });
  return { statusCode: url.startsWith('http') ? 200 : 500 };
};
`,
  },
  {
    name: 'baseline: the presigner alone, one presign (no client)',
    summaryKey: 'presignerFloorMs',
    contents: `
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { Sha256 } from '@smithy/core/checksum';
import { formatUrl } from '@aws-sdk/core/util';
export const handler = async () => {
  const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
  const signer = new S3RequestPresigner({ credentials: async () => credentials, region: 'us-east-1', sha256: Sha256 });
  const request = { method: 'PUT', protocol: 'https:', hostname: 'bench-bucket.s3.us-east-1.amazonaws.com', path: '/k',
    query: { 'x-id': 'PutObject' }, headers: { 'content-type': 'text/plain', 'content-length': '5' } };
  const url = formatUrl(await signer.presign(request, { expiresIn: 60, signableHeaders: new Set(['content-type', 'content-length']) }));
  return { statusCode: url.startsWith('http') ? 200 : 500 };
};
`,
  },
  {
    name: 'baseline: S3 SDK alone, one HeadObject to the S3 server',
    summaryKey: 's3SdkHeadObjectMs',
    contents: `
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
export const handler = async () => {
  const client = new S3Client({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const status = await client.send(new HeadObjectCommand({ Bucket: process.env.S3_BUCKET, Key: 'no-such-key' })).then(
    () => 200, (error) => error.$metadata?.httpStatusCode ?? 500);
  return { statusCode: status === 404 || status === 200 ? 200 : status };
};
`,
  },
];

async function bundle(outfile: string, entry: { file: string } | { contents: string }): Promise<number> {
  await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents, resolveDir: process.cwd(), loader: 'js' } }),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'silent',
    plugins: deployPlugins,
  });
  return statSync(outfile).size;
}

/** One fresh process: require + first invocation, and the same since the process's origin. */
async function probeOnce(dir: string, outfile: string, event: object, check: (result: unknown) => void) {
  // Asynchronously: the S3/SQS emulators run in this process and must keep answering.
  const { stdout: out } = await execFileAsync(
    process.execPath,
    [join(dir, 'probe.cjs'), outfile, JSON.stringify(event)],
    {
      env: { ...process.env, LOG_LEVEL: process.env.BENCH_PROBE_LOG_LEVEL ?? 'SILENT' },
      encoding: 'utf8',
    },
  );
  // The probe's line is the last one; the function's own log lines (BENCH_PROBE_LOG_LEVEL) come before it.
  const { start, served, result } = JSON.parse(out.slice(out.lastIndexOf('\n') + 1)) as {
    start: number;
    served: number;
    result: unknown;
  };
  if (process.env.BENCH_PROBE_LOG_LEVEL) process.stderr.write(out.slice(0, out.lastIndexOf('\n') + 1));
  check(result);
  return { served, sinceOrigin: start + served };
}

interface Probe {
  name: string;
  file: string;
  size: number;
  event: (run: number) => object;
  check: (result: unknown) => void;
  ours: number[];
  sinceOrigin: number[];
}

/**
 * RUNS rounds, each one fresh process per probe in turn: load that comes and goes on this shared machine then
 * weighs on every case alike, instead of on whichever case ran while it lasted.
 */
async function probeInTurn(dir: string, probes: Probe[]) {
  for (let run = 0; run < RUNS; run++) {
    for (const p of probes) {
      const { served, sinceOrigin } = await probeOnce(dir, p.file, p.event(run), p.check);
      p.ours.push(served);
      p.sinceOrigin.push(sinceOrigin);
    }
  }
  return probes.map((p) => {
    const ours = [...p.ours].sort((x, y) => x - y);
    const sinceOrigin = [...p.sinceOrigin].sort((x, y) => x - y);
    return {
      probe: p,
      median: percentile(ours, 50),
      total: percentile(sinceOrigin, 50),
      sum: ours.reduce((x, y) => x + y, 0),
    };
  });
}

/** A first invocation that failed would look fast: every probe's answer is checked. */
function expectSuccess(name: string) {
  return (result: unknown) => {
    const r = result as { statusCode?: number; batchItemFailures?: unknown[]; error?: string } | undefined;
    const ok =
      r !== undefined &&
      r.error === undefined &&
      (r.statusCode === undefined || r.statusCode < 300 || (name === 'not-found' && r.statusCode === 404)) &&
      (r.batchItemFailures === undefined || r.batchItemFailures.length === 0);
    if (!ok) throw new Error(`cold-start ${name}: first invocation failed: ${JSON.stringify(result)}`);
  };
}

export async function benchColdStart(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kite-cold-'));
  const llm = await startFakeLlm();
  const previousOllamaHost = process.env.OLLAMA_HOST;
  process.env.OLLAMA_HOST = llm.ollamaHost;
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = {
    target: '<= 1 MB minified and <= 150 ms from require to the first response',
  };
  const line = (
    name: string,
    size: number,
    m: { median: number; total: number; sum: number },
    extra = '',
  ) => {
    rows.push({
      part: 'cold-start',
      case: name,
      rows: RUNS,
      seconds: m.sum / 1000,
      msPerRow: m.median,
      note: `bundle ${(size / 1024).toFixed(0)} KiB${size > 1024 * 1024 ? ' (over 1 MB)' : ''}; require + first invocation ${m.median.toFixed(0)} ms${m.median > 150 ? ' (over 150 ms)' : ''}; ${m.total.toFixed(0)} ms from process start${extra}`,
    });
  };
  try {
    const fixtures = await makeFixtures();
    writeFileSync(join(dir, 'probe.cjs'), PROBE);
    // Baselines in the same run: a Node process that loads nothing, and the S3 SDK alone presigning one URL.
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(
        Number(
          execFileSync(process.execPath, ['-e', 'process.stdout.write(String(performance.now()))'], {
            encoding: 'utf8',
          }),
        ),
      );
    }
    bare.sort((a, b) => a - b);
    const bareMedian = percentile(bare, 50);
    rows.push({
      part: 'cold-start',
      case: 'baseline: bare node process',
      rows: RUNS,
      seconds: bare.reduce((a, b) => a + b, 0) / 1000,
      msPerRow: bareMedian,
      note: `median ${bareMedian.toFixed(0)} ms from process start before any code of ours`,
    });
    summary.bareNodeMs = Math.round(bareMedian);

    const probes: Probe[] = [];
    const add = (name: string, file: string, size: number, event: (run: number) => object) =>
      probes.push({ name, file, size, event, check: expectSuccess(name), ours: [], sinceOrigin: [] });
    for (const [i, baseline] of BASELINES.entries()) {
      const file = join(dir, `baseline-${i}.js`);
      add(baseline.name, file, await bundle(file, { contents: baseline.contents }), () => ({}));
    }
    const built = new Map<string, { file: string; size: number }>();
    for (const { name, fn, event } of CASES) {
      let target = built.get(fn);
      if (!target) {
        const file = join(dir, `${fn}.js`);
        target = { file, size: await bundle(file, { file: join(process.cwd(), 'functions', `${fn}.ts`) }) };
        built.set(fn, target);
      }
      add(name, target.file, target.size, (run) => event(fixtures, run));
    }
    for (const { probe: p, ...measured } of await probeInTurn(dir, probes)) {
      line(p.name, p.size, measured);
      const baseline = BASELINES.find((b) => b.name === p.name);
      if (baseline) {
        summary[baseline.summaryKey] = Math.round(measured.median);
        continue;
      }
      summary[`${p.name}KiB`] = Math.round(p.size / 1024);
      summary[`${p.name}Ms`] = Math.round(measured.median);
      summary[`${p.name}FromProcessStartMs`] = Math.round(measured.total);
    }
  } finally {
    if (previousOllamaHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = previousOllamaHost;
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, summary };
}
