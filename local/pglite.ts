import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Running } from './emulators.js';

/**
 * PGlite (Postgres compiled to WASM) behind a Postgres wire-protocol socket, reached by plain `pg`. It runs one
 * query at a time across connections, which is fine for one developer; tests use a real PostgreSQL server.
 */
export async function startEmbeddedPostgres(options: { directory: string; port: number }): Promise<Running> {
  mkdirSync(options.directory, { recursive: true });
  // btree_gin: the search index's (user_id, vector) GIN index needs it (docs/api.md "Search").
  const db = await PGlite.create(options.directory, { extensions: { btree_gin } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port, maxConnections: 100 });
  await server.start();
  const address = (
    server as unknown as { server?: { address(): { port: number } | null } }
  ).server?.address();
  const port = address?.port ?? options.port;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
