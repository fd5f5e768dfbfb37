import { parseArgs } from 'node:util';
import { loadLocalStackEnv } from '../local/stack-env.js';

// `npm run extract -- --all [--force] [--user id] [--batch n]`: the extract stage (OCR text, page count, thumbnail) for existing
// documents, against the configured stack (a running `npm start` when DATABASE_URL is unset). The environment must
// be complete before lib/ is imported: its logger reads LOG_LEVEL at import.
const foundStack = loadLocalStackEnv();

const USAGE = 'usage: npm run extract -- --all [--force] [--user <user id>] [--batch <documents per query>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      batch: { type: 'string', default: '50' },
      user: { type: 'string' },
    },
  });
  const batchSize = Number(values.batch);
  if (!values.all || !Number.isInteger(batchSize) || batchSize < 1) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const { backfillExtraction } = await import('../lib/extract/backfill.js');
  const { checkOcrConfig } = await import('../lib/extract/ocr.js');
  const { config } = await import('../lib/platform/config.js');
  const { closeDb } = await import('../lib/platform/db/client.js');
  checkOcrConfig(config());
  const stop = new AbortController();
  process.once('SIGINT', () => {
    console.log('stopping after this document; run `npm run extract -- --all` again to carry on');
    stop.abort();
  });
  try {
    const counts = await backfillExtraction({
      force: values.force,
      batchSize,
      ...(values.user ? { userId: values.user } : {}),
      signal: stop.signal,
      onDocument: (progress) => {
        const done = progress.extracted + progress.failed + progress.skipped;
        if (done % 10 === 0)
          console.log(`${done} document(s): ${progress.extracted} extracted, ${progress.failed} failed`);
      },
    });
    console.log(
      `${counts.interrupted ? 'interrupted' : 'done'}: ${counts.extracted} extracted, ${counts.skipped} skipped, ${counts.failed} failed` +
        (counts.failed ? ' (run again to retry them)' : ''),
    );
    if (counts.failed > 0 || counts.interrupted) process.exitCode = 1;
  } finally {
    await closeDb();
  }
}

main().catch((error: unknown) => {
  console.error('extract failed:', error instanceof Error ? error.message : error);
  if (!foundStack && !process.env.DATABASE_URL) {
    console.error(
      'no running `npm start` stack found (.kite/local.env): start one, or set DATABASE_URL and friends',
    );
  }
  process.exitCode = 1;
});
