#!/usr/bin/env node
// `npx kite …` (README "Command-line client"): the bundle `npm run build:cli` makes (npm ci runs it through
// `prepare`); from a checkout without it, the TypeScript source through tsx.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'kite.cjs');
if (existsSync(bundle)) {
  require(bundle);
} else {
  require('tsx/cjs');
  require(join(__dirname, '..', 'cli', 'kite.ts'));
}
