import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm start` writes the environment of the stack it started, for `npm run purge` and friends. */
export const STACK_ENV_FILE = join(process.env.KITE_DATA_DIR ?? join(process.cwd(), '.kite'), 'local.env');

/**
 * Fills unset variables from the running `npm start` stack (KEY=VALUE lines), so one-off commands reach the same
 * database and emulators. Variables already set win.
 */
export function loadLocalStackEnv(file = STACK_ENV_FILE): boolean {
  if (!existsSync(file)) return false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
  return true;
}
