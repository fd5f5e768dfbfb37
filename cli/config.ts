import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

// What `kite login` remembers (docs/api.md "API keys"): the API's URL and an API key, in the user's config directory,
// readable by that user only. Flags and KITE_URL / KITE_TOKEN win over it.

export interface SavedLogin {
  url: string;
  key: string;
}

/**
 * A server's URL written one way, however the user wrote it: scheme and host lower-cased, a default port and
 * trailing slashes dropped. The saved key goes only to the server it was saved for (docs/cli.md), and saved upload
 * state belongs to one server: both compare URLs in this form.
 */
export function canonicalUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

/** $XDG_CONFIG_HOME/kite/config.json, else ~/.config/kite/config.json. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'kite', 'config.json');
}

/** The saved login, or undefined when there is none (or it is not one kite wrote). */
export async function readLogin(path = configPath()): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const saved = JSON.parse(text) as Partial<SavedLogin>;
    return typeof saved.url === 'string' && typeof saved.key === 'string'
      ? { url: saved.url, key: saved.key }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Saves the login with mode 0600 in a 0700 directory: written to a new file created 0600 and renamed over the old
 * one, so the key is never readable by others, not even for a moment, and a crash leaves the old file whole.
 */
export async function saveLogin(login: SavedLogin, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600); // whatever the umask
  await rename(temporary, path);
}
