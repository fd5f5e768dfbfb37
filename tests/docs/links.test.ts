import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks } from '../../scripts/doc-links.js';

describe('the documentation', () => {
  it('has no relative link in README.md or docs/ that points nowhere', () => {
    expect(brokenLinks(process.cwd())).toEqual([]);
  });
});

describe('the link check', () => {
  const root = mkdtempSync(join(tmpdir(), 'kite-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'api.md'), '# API\n\n## Large files: multipart\n\ntext\n');
  writeFileSync(
    join(root, 'README.md'),
    [
      '# kite',
      '[ok](docs/api.md#large-files-multipart) [ok](#kite) [web](https://example.com/#x)',
      '[gone](docs/nothing.md) [no heading](docs/api.md#small-files)',
      '```',
      '[in code](docs/nothing.md)',
      '```',
    ].join('\n'),
  );

  it('finds a missing file and a missing heading, and nothing else', () => {
    expect(brokenLinks(root)).toEqual([
      { file: 'README.md', line: 3, link: 'docs/nothing.md', reason: 'no such file' },
      {
        file: 'README.md',
        line: 3,
        link: 'docs/api.md#small-files',
        reason: 'no heading #small-files in docs/api.md',
      },
    ]);
  });
});
