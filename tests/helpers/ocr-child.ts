// Run by tests/integration/ocr-offline.test.ts in a child process without network: OCR of a scan made here.
import { extractContent } from '../../lib/extract/content.js';
import { terminateOcr } from '../../lib/extract/ocr.js';
import { renderPage, scannedPdf } from './scans.js';

async function main(): Promise<void> {
  const pdf = scannedPdf([renderPage(['Offline OCR works', 'Invoice 2026-117 total 99.00 EUR'])]);
  const content = await extractContent(pdf, 'application/pdf', {
    maxChars: 10_000,
    languages: (process.env.OCR_LANGUAGES ?? 'eng').split(','),
    maxOcrPages: 5,
    pageTimeoutMs: 60_000,
    thumbnailWidth: 400,
  });
  await terminateOcr();
  process.stdout.write(`${JSON.stringify({ ...content, thumbnail: content.thumbnail?.length ?? 0 })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`ocr-child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
