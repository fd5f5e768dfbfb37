import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm run package:aws [-- --stage s] [--package dir]`: `serverless package` for an AWS stage without touching AWS
 * (dummy credentials; secrets are CloudFormation dynamic references resolved at deploy time), then each function's
 * zipped size against the 1 MB target.
 */
const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'prod' },
    package: { type: 'string', default: '.serverless' },
  },
});
const stage = values.stage ?? 'prod';
const out = values.package ?? '.serverless';

const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAPACKAGEONLYDUMMY',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'package-only-dummy-secret',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  SLS_TELEMETRY_DISABLED: '1',
};
const result = spawnSync(
  process.execPath,
  [
    require.resolve('osls/bin/serverless.js'),
    'package',
    '--stage',
    stage,
    '--package',
    out,
    ...(process.env.KITE_SLS_CONFIG ? ['--config', process.env.KITE_SLS_CONFIG] : []),
  ],
  { env, stdio: 'inherit' },
);
if (result.status !== 0) process.exit(result.status ?? 1);

const LIMIT = 1024 * 1024;
// The extract function carries OCR (WASM, language data, the canvas's native binary): Lambda's own limit applies.
const LIMITS: Record<string, number> = { 'extract.zip': 50 * 1024 * 1024 };
const zips = readdirSync(out).filter((file) => file.endsWith('.zip'));
console.log(`\nfunction bundle sizes (zipped; target ≤ ${LIMIT / 1024} KiB, extract ≤ 50 MiB):`);
for (const zip of zips.sort()) {
  const size = statSync(join(out, zip)).size;
  const limit = LIMITS[zip] ?? LIMIT;
  console.log(
    `  ${zip.padEnd(24)} ${(size / 1024).toFixed(1).padStart(8)} KiB  ${size <= limit ? 'ok' : 'OVER TARGET'}`,
  );
}
