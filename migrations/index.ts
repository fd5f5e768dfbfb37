import type { Migration } from 'kysely';
import * as baseline from './20240101000000-baseline.js';
import * as multiUserIsolation from './20250601000000-multi-user-isolation.js';
import * as documentIndexes from './20250602000000-document-indexes.js';
import * as uploadTombstones from './20251127000000-upload-tombstones.js';
import * as contentHashes from './20261201160000-content-hashes.js';
import * as documentSearch from './20261201181500-document-search.js';
import * as multipart from './20261201190000-multipart.js';
import * as apiKeys from './20261204040000-api-keys.js';
import * as trashAndEdits from './20261204040000-trash-and-edits.js';
import * as topicLinkTimes from './20261204041500-topic-link-times.js';
import * as extraction from './20261204050000-extraction.js';
import * as localModels from './20261204080000-local-models.js';

/** A static list: bundlers break file-system migration discovery. Names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '20240101000000-baseline': baseline,
  '20250601000000-multi-user-isolation': multiUserIsolation,
  '20250602000000-document-indexes': documentIndexes,
  '20251127000000-upload-tombstones': uploadTombstones,
  '20261201160000-content-hashes': contentHashes,
  '20261201181500-document-search': documentSearch,
  '20261201190000-multipart': multipart,
  '20261204040000-api-keys': apiKeys,
  '20261204041500-topic-link-times': topicLinkTimes,
  '20261204040000-trash-and-edits': trashAndEdits,
  '20261204050000-extraction': extraction,
  '20261204080000-local-models': localModels,
};
