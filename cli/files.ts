import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { lookup } from 'mime-types';

export interface LocalFile {
  /** Where it is on disk. */
  path: string;
  /** The filename the document gets: the path inside the directory given, or the file's own name. */
  name: string;
  size: number;
  contentType: string;
}

export function contentTypeOf(path: string): string {
  return lookup(path) || 'application/octet-stream';
}

/** Every regular file named or under a directory named, recursively, in a stable order; each path once. */
export async function collectFiles(paths: string[]): Promise<LocalFile[]> {
  const files = new Map<string, LocalFile>();
  const add = (path: string, name: string, size: number) => {
    if (!files.has(path)) files.set(path, { path, name, size, contentType: contentTypeOf(path) });
  };
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) {
      add(path, basename(path), info.size);
    } else if (info.isDirectory()) {
      for (const file of await walk(path)) {
        add(file.path, relative(path, file.path).split(sep).join('/'), file.size);
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
