import { loadLocalStackEnv } from '../local/stack-env.js';

// `npm run purge`: one purge run against the configured stack (a running `npm start` when DATABASE_URL is unset).
// The environment must be complete before lib/ is imported: its logger reads LOG_LEVEL at import.
const foundStack = loadLocalStackEnv();

async function main(): Promise<void> {
  const { runPurge } = await import('../lib/purge/purge.js');
  const { closeDb } = await import('../lib/platform/db/client.js');
  try {
    const counts = await runPurge();
    console.log(
      `purged ${counts.purged} expired pending upload(s), deleted ${counts.trashed} document(s) past their time in the trash, swept ${counts.tombstones} tombstoned key(s), re-enqueued ${counts.reenqueued}, expired ${counts.idempotencyKeys} idempotency key(s)`,
    );
  } finally {
    await closeDb();
  }
}

main().catch((error: unknown) => {
  console.error('purge failed:', error instanceof Error ? error.message : error);
  if (!foundStack && !process.env.DATABASE_URL) {
    console.error(
      'no running `npm start` stack found (.kite/local.env): start one, or set DATABASE_URL and friends',
    );
  }
  process.exitCode = 1;
});
