import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root, from local/. */
const ROOT = join(__dirname, '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');

/**
 * The newest modification time of the files under `path` (a file or a folder), skipping build output and
 * dependencies. Folders' own times are left out: building changes web/'s (dist/ appears in it).
 */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'dist' || entry === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

/** True when web/dist is missing or older than the app's sources, the client it calls, or the lockfile. */
export function webBuildIsStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newest(join(ROOT, 'web')),
    newest(join(ROOT, 'client')),
    newest(join(ROOT, 'package-lock.json')),
  );
  return sources > statSync(built).mtimeMs;
}

/**
 * `npm run build:web` when web/dist is missing or stale (docs/web.md "Building"): `npm start` and the test suite's
 * global setup call it, so a fresh clone's `npm ci && npm start` serves the app without a separate build step.
 */
export function ensureWebBuild(log: (message: string) => void = () => {}): void {
  if (!webBuildIsStale()) return;
  log('building the web app (npm run build:web)');
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(ROOT, 'web', 'vite.config.mts'),
    ],
    // vitest sets NODE_ENV=test, which would make Vite build an unminified development bundle.
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0) throw new Error(`building the web app failed (exit ${result.status})`);
  log(`web app built in ${Date.now() - started} ms`);
}
