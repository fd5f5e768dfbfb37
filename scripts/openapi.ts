import { readFileSync, writeFileSync } from 'node:fs';
import { renderArtifacts } from './openapi-artifacts.js';

// npm run openapi: writes openapi.json and the typed client's client/schema.d.ts from the zod schemas.
// With --check it writes nothing and exits 1 when either file is stale.
async function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, text } of await renderArtifacts()) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    if (current === text) continue;
    stale++;
    if (check) console.error(`${file} is stale: run npm run openapi`);
    else {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  if (check && stale > 0) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
