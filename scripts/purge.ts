import { loadLocalStackEnv } from '../local/stack-env.js';

// `npm run purge`: one purge run against the configured stack (a running `npm start` when DATABASE_URL is unset).
// The environment must be complete before lib/ is imported: its logger reads LOG_LEVEL at import.
loadLocalStackEnv();

async function main(): Promise<void> {
  const { runPurge } = await import('../lib/purge.js');
  const { closeDb } = await import('../lib/db/client.js');
  try {
    const counts = await runPurge();
    console.log(`purged ${counts.purged} expired pending upload(s), re-enqueued ${counts.reenqueued}`);
  } finally {
    await closeDb();
  }
}

main().catch((error: unknown) => {
  console.error('purge failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
