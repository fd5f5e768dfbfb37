import { loadLocalStackEnv } from '../local/stack-env.js';

// `npm run reindex`: rebuild the search index of every document against the configured stack (a running
// `npm start` when DATABASE_URL is unset). The environment must be complete before lib/ is imported: its logger
// reads LOG_LEVEL at import.
const foundStack = loadLocalStackEnv();

async function main(): Promise<void> {
  const { reindexSearch } = await import('../lib/search/reindex.js');
  const { closeDb } = await import('../lib/platform/db/client.js');
  const stop = new AbortController();
  process.once('SIGINT', () => {
    console.log('stopping after this batch; run `npm run reindex` again to carry on');
    stop.abort();
  });
  const language = process.env.SEARCH_LANGUAGE || 'simple';
  let last = '';
  try {
    const counts = await reindexSearch({
      signal: stop.signal,
      onBatch: (progress) => {
        const line = `added ${progress.added}, extracted ${progress.extracted}, rebuilt ${progress.rebuilt}`;
        if (line !== last) console.log(line);
        last = line;
      },
    });
    console.log(
      `${counts.interrupted ? 'interrupted' : 'done'} (${language}): ${counts.added} row(s) added, ${counts.extracted} text(s) extracted, ${counts.rebuilt} vector(s) rebuilt` +
        (counts.unreadable
          ? `; ${counts.unreadable} file(s) could not be read: run again to retry them`
          : ''),
    );
    if (counts.unreadable > 0 || counts.interrupted) process.exitCode = 1;
  } finally {
    await closeDb();
  }
}

main().catch((error: unknown) => {
  console.error('reindex failed:', error instanceof Error ? error.message : error);
  if (!foundStack && !process.env.DATABASE_URL) {
    console.error(
      'no running `npm start` stack found (.kite/local.env): start one, or set DATABASE_URL and friends',
    );
  }
  process.exitCode = 1;
});
