import { brokenLinks } from './doc-links.js';

// `npm run check-links`: every relative link in README.md and docs/ resolves (scripts/doc-links.ts says how).
const broken = brokenLinks(process.cwd());
for (const link of broken) console.error(`${link.file}:${link.line}: ${link.link}: ${link.reason}`);
if (broken.length > 0) process.exit(1);
console.log('every relative link in README.md and docs/ resolves');
