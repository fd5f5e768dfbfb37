import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { lookup } from 'mime-types';
import { sniff } from '../lib/extract/sniff.js';

export interface LocalFile {
  /** Where it is on disk. */
  path: string;
  /** The filename the document gets: the path inside the directory given, or the file's own name. */
  name: string;
  size: number;
  contentType: string;
}

/**
 * The file's type by its name, or, when the name says nothing (a scan saved as `scan_0042`, a camera's extension-less
 * export), by its first bytes (docs/cli.md "Command-line client"): file-type's signatures, else text/plain when they are UTF-8.
 */
export async function contentTypeOf(path: string): Promise<string> {
  const byName = lookup(path);
  if (byName) return byName;
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return (await sniff(head.subarray(0, bytesRead))).mime ?? 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

/** Enough for file-type's signatures (it reads at most 4100 bytes for most formats) and a text check. */
const SNIFF_BYTES = 65_536;

/** Every regular file named or under a directory named, recursively, in a stable order; each path once. */
export async function collectFiles(paths: string[]): Promise<LocalFile[]> {
  const files = new Map<string, LocalFile>();
  const add = async (path: string, name: string, size: number) => {
    if (!files.has(path)) files.set(path, { path, name, size, contentType: await contentTypeOf(path) });
  };
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) {
      await add(path, basename(path), info.size);
    } else if (info.isDirectory()) {
      for (const file of await walk(path)) {
        await add(file.path, relative(path, file.path).split(sep).join('/'), file.size);
      }
    } else {
      throw new Error(`${path} is neither a file nor a directory`);
    }
  }
  return [...files.values()];
}

async function walk(directory: string): Promise<{ path: string; size: number }[]> {
  const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const found: { path: string; size: number }[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile()) found.push({ path, size: (await stat(path)).size });
  }
  return found;
}
