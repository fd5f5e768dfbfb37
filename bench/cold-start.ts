import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { signDevToken } from '../local/token.js';
import { percentile } from './requests.js';
import type { BenchResult, BenchRow } from './run.js';

/**
 * Cold start per function: the bundle serverless-esbuild ships (same options: bundle, minify, node20, cjs), its
 * size, and the time a fresh Node process takes to require it and serve its first invocation (median of 10),
 * measured inside the process from its time origin, so Node's own boot is included.
 */

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);

const FUNCTIONS: Record<string, (token: string) => object> = {
  'upload-url': (token) => http('POST', '/api/documents/upload-url', token, '{"filename":1}'),
  confirm: (token) => http('POST', '/api/documents/00000000-0000-4000-8000-000000000000/confirm', token),
  documents: (token) => http('GET', '/api/documents', token),
  topics: (token) => http('GET', '/api/topics', token),
  'admin-topics': (token) => http('GET', '/api/admin/topics', token),
  'admin-users': (token) => http('GET', '/api/admin/users', token),
  me: (token) => http('GET', '/api/me', token),
  'not-found': (token) => http('GET', '/api/settings', token),
  classify: () => ({
    Records: [
      {
        messageId: 'm1',
        receiptHandle: 'r1',
        body: '{"documentId":"00000000-0000-4000-8000-000000000000"}',
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:kite-bench-classify',
        awsRegion: 'us-east-1',
      },
    ],
  }),
  purge: () => ({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
};

function http(method: string, path: string, token: string, body?: string) {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'cold',
    },
  };
}

const PROBE = `
const [bundle, eventJson] = process.argv.slice(2);
const context = { awsRequestId: 'cold', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
const { handler } = require(bundle);
Promise.resolve(handler(JSON.parse(eventJson), context)).catch(() => {}).finally(() => {
  process.stdout.write(String(performance.now()));
  process.exit(0);
});
`;

export async function benchColdStart(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kite-cold-'));
  const token = await signDevToken('bench-cold', { admin: true });
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = { target: '<= 1 MB minified and <= 150 ms' };
  try {
    writeFileSync(join(dir, 'probe.cjs'), PROBE);
    // Baseline in the same run: a Node process that loads nothing, so the table shows what the bundles add.
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
      note: `median ${bareMedian.toFixed(0)} ms before any code of ours`,
    });
    summary.bareNodeMs = Math.round(bareMedian);
    for (const [name, makeEvent] of Object.entries(FUNCTIONS)) {
      const outfile = join(dir, `${name}.js`);
      await build({
        entryPoints: [join(process.cwd(), 'functions', `${name}.ts`)],
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile,
        logLevel: 'silent',
      });
      const size = statSync(outfile).size;
      const event = JSON.stringify(makeEvent(token));
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const out = execFileSync(process.execPath, [join(dir, 'probe.cjs'), outfile, event], {
          env: { ...process.env, LOG_LEVEL: 'SILENT' },
          encoding: 'utf8',
        });
        samples.push(Number(out));
      }
      samples.sort((a, b) => a - b);
      const median = percentile(samples, 50);
      rows.push({
        part: 'cold-start',
        case: name,
        rows: RUNS,
        seconds: samples.reduce((a, b) => a + b, 0) / 1000,
        msPerRow: median,
        note: `bundle ${(size / 1024).toFixed(0)} KiB${size > 1024 * 1024 ? ' (over 1 MB)' : ''}; first invocation ${median.toFixed(0)} ms = bare node + ${(median - bareMedian).toFixed(0)} ms${median > 150 ? ' (over 150 ms)' : ''}`,
      });
      summary[`${name}KiB`] = Math.round(size / 1024);
      summary[`${name}Ms`] = Math.round(median);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, summary };
}
