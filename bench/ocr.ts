// Over 300 lines on purpose: the OCR bench (tesseract.js against the native CLI), thumbnails, memory and the extract
// package's cold start share the pages they are measured on, and the cold start needs its package step beside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractContent } from '../lib/extract/content.js';
import { recognise, terminateOcr } from '../lib/extract/ocr.js';
import { greyPgm, openPdf, renderPdfPage, thumbnailWebp } from '../lib/extract/raster.js';
import { characterAccuracy, png, renderPage, scannedPdf } from '../tests/helpers/scans.js';
import { confirm, putBytes, requestUpload } from '../tests/helpers/uploads.js';
import { newUser } from '../tests/helpers/users.js';
import { zipFiles } from '../tests/helpers/zip.js';
import type { BenchResult, BenchRow } from './result.js';

/**
 * The extract stage's costs, on letter-like pages made here (tests/helpers/scans.ts) with known text:
 * - OCR: kite's tesseract.js (one reused worker, 8-bit grey PGM in) against Debian's native `tesseract` CLI
 *   (`OMP_THREAD_LIMIT=1`, LSTM only, PNG in) on the same pages in the same run: pages per second and character
 *   accuracy. Target: ≥ 0.8× the CLI's speed at its accuracy ± 1 point. Needs `apt-get install tesseract-ocr`.
 * - thumbnails: ms per page for a scanned PDF's page 1 (rendered at 2× the width, then halved) and a photo.
 * - memory: RSS after 10 and after 100 OCR'd documents in one process (the worker is reused, so it stays flat).
 * - the extract function's package: zip size, and a fresh process's require + first document (cold start).
 */
export async function benchOcr(): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = {};
  const pages = PAGE_TEXTS.map((lines, index) =>
    renderPage(lines, {
      dpi: 200,
      skewDegrees: index % 2 ? 1.5 : 0,
      noise: index % 3 === 2 ? 0.004 : 0,
      seed: index + 1,
    }),
  );
  const expected = PAGE_TEXTS.map((lines) => lines.join('\n'));

  // kite: warm the worker once (its creation is a cold start's cost, measured below), then every page in turn.
  await recognise(greyPgm(renderPage(['warm up'], { dpi: 100 })), { languages: ['eng'], timeoutMs: 120_000 });
  const kiteStart = performance.now();
  const kiteTexts: string[] = [];
  for (const page of pages)
    kiteTexts.push(await recognise(greyPgm(page), { languages: ['eng'], timeoutMs: 120_000 }));
  const kiteSeconds = (performance.now() - kiteStart) / 1000;
  const kiteAccuracy = mean(kiteTexts.map((text, i) => characterAccuracy(expected[i] as string, text)));
  rows.push(
    row(
      'tesseract.js (kite, one worker, PGM)',
      pages.length,
      kiteSeconds,
      `${pct(kiteAccuracy)} characters right`,
    ),
  );
  summary.kitePagesPerSecond = round(pages.length / kiteSeconds);
  summary.kiteAccuracy = round(kiteAccuracy * 100);

  const cli = tesseractCli(pages.map((page) => png(page)));
  if (cli) {
    const cliAccuracy = mean(cli.texts.map((text, i) => characterAccuracy(expected[i] as string, text)));
    rows.push(
      row(
        'tesseract 5 CLI (Debian, OMP_THREAD_LIMIT=1, PNG)',
        pages.length,
        cli.seconds,
        `${pct(cliAccuracy)} characters right`,
      ),
    );
    summary.cliPagesPerSecond = round(pages.length / cli.seconds);
    summary.cliAccuracy = round(cliAccuracy * 100);
    summary.speedVsCli = round(cli.seconds / kiteSeconds);
    summary.accuracyPointsVsCli = round((kiteAccuracy - cliAccuracy) * 100);
  } else {
    summary.cli = 'tesseract CLI not installed (apt-get install tesseract-ocr tesseract-ocr-eng)';
  }

  // Thumbnails.
  const pdf = await openPdf(scannedPdf(pages.slice(0, 1)));
  const thumbStart = performance.now();
  const THUMBS = 5;
  for (let i = 0; i < THUMBS; i++) await thumbnailWebp(await renderPdfPage(pdf, 1, { width: 800 }), 400);
  const pdfThumbSeconds = (performance.now() - thumbStart) / 1000;
  await pdf.destroy();
  const photoStart = performance.now();
  for (let i = 0; i < THUMBS; i++) await thumbnailWebp(pages[0] as NonNullable<(typeof pages)[0]>, 400);
  const photoThumbSeconds = (performance.now() - photoStart) / 1000;
  rows.push(row('thumbnail: scanned PDF page 1 → 400 px WebP', THUMBS, pdfThumbSeconds));
  rows.push(row('thumbnail: 1700 × 2200 px image → 400 px WebP', THUMBS, photoThumbSeconds));
  summary.thumbnailMsPerPdfPage = round((pdfThumbSeconds * 1000) / THUMBS);
  summary.thumbnailMsPerImage = round((photoThumbSeconds * 1000) / THUMBS);

  // Memory over 100 documents (small one-page scans through the whole content path).
  const small = scannedPdf([renderPage(['Memory check', 'Document number 1'], { dpi: 100 })]);
  let rssAfter10 = 0;
  const memStart = performance.now();
  for (let i = 1; i <= 100; i++) {
    await extractContent(small, 'application/pdf', {
      maxChars: 10_000,
      languages: ['eng'],
      maxOcrPages: 5,
      pageTimeoutMs: 60_000,
      thumbnailWidth: 400,
    });
    if (i === 10) rssAfter10 = process.memoryUsage.rss();
  }
  const rssAfter100 = process.memoryUsage.rss();
  rows.push(
    row(
      '100 one-page scans in one process (extractContent)',
      100,
      (performance.now() - memStart) / 1000,
      `RSS ${mb(rssAfter10)} after 10, ${mb(rssAfter100)} after 100`,
    ),
  );
  summary.rssMbAfter10 = Math.round(rssAfter10 / 1024 ** 2);
  summary.rssMbAfter100 = Math.round(rssAfter100 / 1024 ** 2);
  await terminateOcr();

  const cold = await extractColdStart();
  rows.push(
    row(
      'extract function: require (cold init)',
      1,
      cold.initMs / 1000,
      `zip ${mb(cold.zipBytes)}, unzipped ${mb(cold.unzippedBytes)}`,
    ),
  );
  rows.push(
    row(
      'extract function: first 1-page scan in a fresh process',
      1,
      cold.firstMs / 1000,
      'worker creation + render + OCR + thumbnail',
    ),
  );
  Object.assign(summary, {
    extractZipMb: round(cold.zipBytes / 1024 ** 2),
    extractUnzippedMb: round(cold.unzippedBytes / 1024 ** 2),
    extractInitMs: Math.round(cold.initMs),
    extractFirstDocumentMs: Math.round(cold.firstMs),
  });
  return { rows, summary };
}

const PAGE_TEXTS = [
  [
    'Stadtwerke Musterstadt GmbH',
    'Customer number 4711-0815',
    'Your water meter reading for 2026 is overdue.',
    'Please send it to us by 15 January 2027.',
    'Kind regards, the billing team',
  ],
  [
    'Finanzamt Koeln Mitte',
    'Notice of assessment for the year 2025',
    'Taxable income 48,210.00 EUR',
    'Income tax refund 1,284.50 EUR',
    'Appeal within one month of receipt.',
  ],
  [
    'Dr. med. Anna Schmidt, general practitioner',
    'Invoice 2026-117 for treatment on 3 March 2026',
    'Consultation and examination 52.46 EUR',
    'Laboratory tests 31.10 EUR',
    'Total due 83.56 EUR within 30 days',
  ],
  [
    'Allianz Versicherungs-AG',
    'Policy 88-2231-x7 household contents',
    'Annual premium from 1 April 2026: 214.80 EUR',
    'The premium is collected by direct debit.',
    'Questions? Call 0800 4100 104.',
  ],
  [
    'Landlord: Hausverwaltung Weber & Sohn',
    'Service charge statement 2025',
    'Heating 612.30 EUR, water 188.40 EUR',
    'Advance payments 720.00 EUR',
    'Balance in your favour: 19.10 EUR',
  ],
  [
    'Deutsche Bahn AG, customer service',
    'Refund request 2026-05-11 / ICE 597',
    'Delay on arrival: 74 minutes',
    'Compensation 25 % of the fare: 23.75 EUR',
    'Paid to your account within 14 days.',
  ],
];

function tesseractCli(images: Uint8Array[]): { texts: string[]; seconds: number } | undefined {
  if (spawnSync('tesseract', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kite-bench-ocr-'));
  try {
    const files = images.map((image, i) => {
      const file = join(dir, `page-${i}.png`);
      writeFileSync(file, image);
      return file;
    });
    const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
    execFileSync('tesseract', [files[0] as string, 'stdout', '-l', 'eng', '--oem', '1'], {
      env,
      stdio: 'pipe',
    });
    const start = performance.now();
    const texts = files.map((file) =>
      execFileSync('tesseract', [file, 'stdout', '-l', 'eng', '--oem', '1'], {
        env,
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    );
    return { texts, seconds: (performance.now() - start) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Packages the AWS stage, unzips the extract function alone (no node_modules but its own) and times a fresh process
 * on it: loading the bundle (init), then its handler on a confirmed one-page scan against the bench's stack (the
 * first document pays for the OCR worker and the WASM compile).
 */
async function extractColdStart(): Promise<{
  zipBytes: number;
  unzippedBytes: number;
  initMs: number;
  firstMs: number;
}> {
  const out = mkdtempSync(join(tmpdir(), 'kite-bench-package-'));
  const alone = mkdtempSync(join(tmpdir(), 'kite-bench-extract-'));
  try {
    execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/package-aws.ts', '--package', out], {
      stdio: 'pipe',
    });
    const zip = join(out, 'extract.zip');
    let unzippedBytes = 0;
    for (const [name, bytes] of zipFiles(zip)) {
      mkdirSync(join(alone, name, '..'), { recursive: true });
      writeFileSync(join(alone, name), bytes);
      unzippedBytes += bytes.length;
    }
    const { token } = await newUser({ label: 'bench-ocr' });
    const scan = scannedPdf([renderPage(['Cold start scan', 'Reference 2026-42'])]);
    const ticket = await requestUpload(token, {
      filename: 'cold.pdf',
      contentType: 'application/pdf',
      size: scan.length,
    });
    await putBytes(ticket, scan);
    await confirm(token, ticket.document.id);
    writeFileSync(join(alone, 'probe.cjs'), PROBE);
    const child = spawnSync(process.execPath, ['probe.cjs', ticket.document.id], {
      cwd: alone,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'ERROR' },
    });
    if (child.status !== 0) throw new Error(`extract cold start failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
    return { zipBytes: statSync(zip).size, unzippedBytes, initMs: result.initMs, firstMs: result.firstMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(alone, { recursive: true, force: true });
  }
}

/** What a cold Lambda does: load the bundle, then run its handler on one SQS record. */
const PROBE = `
const t0 = performance.now();
const { handler } = require('./functions/extract.js');
const t1 = performance.now();
const body = JSON.stringify({ documentId: process.argv[2] });
const event = { Records: [{ messageId: 'm', receiptHandle: 'r', body, attributes: { ApproximateReceiveCount: '1',
  SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' }, messageAttributes: {}, md5OfBody: '',
  eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:0:extract', awsRegion: 'us-east-1' }] };
const context = { functionName: 'extract', awsRequestId: 'bench', getRemainingTimeInMillis: () => 600000 };
handler(event, context).then((result) => {
  if (result.batchItemFailures.length > 0) throw new Error('the document failed');
  console.log(JSON.stringify({ initMs: t1 - t0, firstMs: performance.now() - t1 }));
  process.exit(0);
}, (error) => { console.error(error); process.exit(1); });
`;

function row(name: string, count: number, seconds: number, note?: string): BenchRow {
  return {
    part: 'ocr',
    case: name,
    rows: count,
    seconds: round(seconds),
    msPerRow: round((seconds * 1000) / count),
    ...(note ? { note } : {}),
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const round = (value: number) => Math.round(value * 100) / 100;
const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;
