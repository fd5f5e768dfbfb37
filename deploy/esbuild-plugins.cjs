'use strict';

const { readFileSync, writeFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { decode, encode } = require('@jridgewell/sourcemap-codec');

/**
 * Source maps for our code only. Stack traces need them for functions/ and lib/; mapping every token of minified
 * dependencies (PDF.js alone is ~2 MB of mappings) would double the classify zip for frames nobody reads.
 * After each build, mapping segments that point into node_modules are dropped from the written .map files.
 */
function keepOwnMappings(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const own = map.sources.map((source) => !/[\\/]node_modules[\\/]/.test(source));
  const lines = decode(map.mappings).map((segments) => segments.filter((s) => s.length === 1 || own[s[1]]));
  map.mappings = encode(lines);
  writeFileSync(mapFile, JSON.stringify(map));
}

const ownCodeSourceMaps = {
  name: 'own-code-source-maps',
  setup(build) {
    build.onEnd(() => {
      const { outdir, outfile } = build.initialOptions;
      const dir = outdir ?? (outfile ? require('node:path').dirname(outfile) : undefined);
      if (!dir) return;
      const walk = (path) => {
        for (const entry of readdirSync(path, { withFileTypes: true })) {
          const full = join(path, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.name.endsWith('.js.map')) keepOwnMappings(full);
        }
      };
      walk(dir);
    });
  },
};

module.exports = [ownCodeSourceMaps];
