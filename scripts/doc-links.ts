import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Every relative link in README.md and docs/ resolves: the file exists and an `#anchor` names a heading of it, as
 * GitHub slugs headings (lower case, punctuation but `-` and `_` dropped, spaces to `-`). Links to http(s) and
 * mailto, and anything inside a fenced code block, are not checked. `npm run check-links` (scripts/check-links.ts); a
 * test in `npm test` (tests/docs/links.test.ts) runs the same check.
 */
export interface BrokenLink {
  file: string;
  line: number;
  link: string;
  reason: string;
}

export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A file's headings as anchors, GitHub's way: a repeated heading gets -1, -2, … */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideCode(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading.replace(/`/g, ''));
    const count = seen.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return anchors;
}

function outsideCode(text: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fenced = false;
  text.split('\n').forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push({ text: line, line: index + 1 });
  });
  return lines;
}

function markdownFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const files = [join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(docs)) walk(docs);
  return files;
}

export function brokenLinks(root: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsFor = (file: string) => {
    let found = anchors.get(file);
    if (!found) {
      found = anchorsOf(readFileSync(file, 'utf8'));
      anchors.set(file, found);
    }
    return found;
  };
  for (const file of markdownFiles(root)) {
    for (const { text, line } of outsideCode(readFileSync(file, 'utf8'))) {
      // Inline code is not a link: `[a](b)` in backticks is an example.
      const prose = text.replace(/`[^`]*`/g, '');
      for (const match of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const link = match[1] ?? '';
        if (/^(https?:|mailto:)/.test(link)) continue;
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = { file: relative(root, file), line, link };
        if (!existsSync(target)) {
          broken.push({ ...where, reason: 'no such file' });
        } else if (anchor !== undefined && target.endsWith('.md') && !anchorsFor(target).has(anchor)) {
          broken.push({ ...where, reason: `no heading #${anchor} in ${relative(root, target)}` });
        }
      }
    }
  }
  return broken;
}
