import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_ONLY_JWT_SECRET } from '../../local/token.js';
import { ensureWebBuild, WEB_DIST } from '../../local/web-build.js';

/*
 * docs/web.md "Signing in": nothing of the local sign-in can be deployed. It lives in local/web.ts, which npm start
 * runs; what AWS gets is functions/ and lib/ (the Lambda bundles) and web/dist (the site). Neither may reach it.
 */
const ROOT = join(__dirname, '..', '..');

function files(folder: string, pattern: RegExp): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory())
      return entry === 'node_modules' || entry === 'dist' ? [] : files(path, pattern);
    return pattern.test(entry) ? [path] : [];
  });
}

describe('the local sign-in stays local', () => {
  it('no deployed code imports anything from local/', () => {
    const deployed = ['functions', 'lib', join('web', 'src')].flatMap((f) => files(join(ROOT, f), /\.tsx?$/));
    const importers = deployed
      .filter((file) => /from ['"](\.\.\/)+local\//.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(importers).toEqual([]);
  });

  it('the built site has neither the sign-in page nor the dev secret, only the URL config.json names', () => {
    ensureWebBuild();
    const built = files(WEB_DIST, /\.(js|html|css)$/).map((file) => readFileSync(file, 'utf8'));
    expect(built.length).toBeGreaterThan(1);
    for (const text of built) {
      expect(text).not.toContain(DEV_ONLY_JWT_SECRET);
      expect(text).not.toContain('/local/sign-in');
      expect(text).not.toContain('Local development sign-in');
    }
  });
});
