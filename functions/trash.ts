import { router } from '../lib/api/router.js';
import { json, noContent, uuidParam } from '../lib/platform/http.js';
import { trashRoutes } from '../lib/trash/trash.contract.js';
import { deleteFromTrash, emptyTrash, listTrash } from '../lib/trash/trash.js';

export const handler = router(trashRoutes, {
  listTrash: async ({ caller, query }) => json(200, await listTrash(caller.userId, query)),
  /** Everything in the caller's trash: objects, rows and the refund. */
  emptyTrash: async ({ caller }) => {
    await emptyTrash(caller.userId);
    return noContent();
  },
  deleteFromTrash: async ({ caller, params }) => {
    await deleteFromTrash(caller.userId, uuidParam(params));
    return noContent();
  },
});
