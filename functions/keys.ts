import { router } from '../lib/api/router.js';
import { keyRoutes } from '../lib/keys/keys.contract.js';
import { createKey, listKeys, revokeKey } from '../lib/keys/keys.js';
import { json, noContent, uuidParam } from '../lib/platform/http.js';

export const handler = router(keyRoutes, {
  createKey: async ({ caller, body }) => json(201, await createKey(caller, body)),
  listKeys: async ({ caller }) => json(200, { keys: await listKeys(caller.userId) }),
  /** Revoked at once on this instance, and within 10 s on every other (KEY_CACHE_MS, docs/api.md "API keys"). */
  deleteKey: async ({ caller, params }) => {
    await revokeKey(caller.userId, uuidParam(params));
    return noContent();
  },
});
