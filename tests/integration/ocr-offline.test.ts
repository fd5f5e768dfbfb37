import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// OCR runs with no network (docs/operations.md "Text from scans and photos"): the language data comes from npm
// packages, never a CDN. The child has no network namespace of its own to reach anything when `unshare -n` works
// (root, as in CI), and in any case tests/helpers/no-network.cjs refuses and reports every non-loopback connection
// and DNS lookup, in its worker threads too.
const root = join(__dirname, '..', '..');
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;

function runOffline(env: Record<string, string> = {}) {
  const node = [
    process.execPath,
    '--require',
    join(root, 'tests/helpers/no-network.cjs'),
    join(root, 'node_modules/tsx/dist/cli.mjs'),
    join(root, 'tests/helpers/ocr-child.ts'),
  ];
  const [command, ...args] = canUnshare ? ['unshare', '-n', ...node] : node;
  return spawnSync(command as string, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

it('reads a scan with no network at all', () => {
  const child = runOffline();

  expect(child.stderr).not.toContain('NETWORK-ATTEMPT');
  expect(child.status, child.stderr).toBe(0);
  const content = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
  expect(content).toMatchObject({ textSource: 'ocr', pageCount: 1, notes: [] });
  expect(content.text).toContain('Invoice 2026-117 total 99.00 EUR');
  expect(content.thumbnail).toBeGreaterThan(0);
}, 150_000);
