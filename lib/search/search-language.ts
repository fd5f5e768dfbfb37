import type { Kysely } from 'kysely';
import { ConfigError, config } from '../platform/config.js';
import { db } from '../platform/db/client.js';
import type { Database } from '../platform/db/schema.js';
import { once } from '../platform/once.js';
import { searchLanguages } from './search.queries.js';

/**
 * SEARCH_LANGUAGE must name a text search configuration the database has; which ones it has is only known by
 * asking it. `npm start`, `npm run migrate` and `npm run reindex` check before anything runs; a Lambda checks once
 * per instance, on the first request that needs it.
 */
export async function checkSearchLanguage(database: Kysely<Database>, name: string): Promise<void> {
  const known = await searchLanguages(database);
  if (known.includes(name)) return;
  throw new ConfigError(
    `Invalid configuration:\n  - SEARCH_LANGUAGE: the database has no text search configuration "${name}"; it has ${known.join(', ')}`,
  );
}

const verified = /* @__PURE__ */ once(async () => {
  const name = config().SEARCH_LANGUAGE;
  await checkSearchLanguage(db(), name);
  return name;
});

/** The configured text search configuration, checked against the database once per instance. */
export function searchLanguage(): Promise<string> {
  return verified();
}
