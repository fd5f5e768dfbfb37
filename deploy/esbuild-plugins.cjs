'use strict';

const { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { basename, dirname, extname, join } = require('node:path');
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

/**
 * The one function a build bundles (serverless-esbuild builds each function on its own, all at once, into the same
 * directory): where its bundle goes and its name. Plugins touch only this build's files: reading a sibling's map
 * while its build is still writing it once broke, and then hung, a packaging.
 */
function singleOutput(build) {
  const { entryPoints, outdir, outfile } = build.initialOptions;
  const entries = Array.isArray(entryPoints) ? entryPoints : Object.values(entryPoints ?? {});
  const entryPath = typeof entries[0] === 'string' ? entries[0] : entries[0]?.in;
  if (outfile) return { dir: dirname(outfile), stem: basename(outfile, extname(outfile)) };
  if (entries.length === 1 && outdir && entryPath) {
    return { dir: outdir, stem: basename(entryPath, extname(entryPath)) };
  }
  throw new Error(
    'deploy/esbuild-plugins.cjs: a build needs exactly one entry point and an outfile or outdir',
  );
}

const ownCodeSourceMaps = {
  name: 'own-code-source-maps',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0 || build.initialOptions.write === false) return;
      const { dir, stem } = singleOutput(build);
      const mapFile = join(dir, `${stem}.js.map`);
      if (existsSync(mapFile)) keepOwnMappings(mapFile);
    });
  },
};

/**
 * pg picks its socket implementation at load time, and on a Node without a global `navigator` (Node 20) it probes
 * for Cloudflare Workers by constructing a `Response`, which loads undici: ~50 ms of every cold start on this
 * machine for a branch kite can never take. The bundles only run on Node, so the probe is compiled out. (On
 * nodejs22.x `navigator` exists and the probe is cheap; the patch changes nothing there.) If pg rewrites the file,
 * the build fails here rather than silently losing the patch.
 */
const PG_PROBE = 'if (isCloudflareRuntime())';
const pgNodeOnly = {
  name: 'pg-node-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(PG_PROBE)) {
        throw new Error(
          `pg-node-only: "${PG_PROBE}" not found in ${args.path}; update deploy/esbuild-plugins.cjs`,
        );
      }
      return { contents: source.replace(PG_PROBE, 'if (false)'), loader: 'js' };
    });
  },
};

/**
 * Lambda hands every function its role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), and `npm start` / `npm run dev:docker` set the emulators' there too. The SDK's default chain
 * (SSO, INI profiles, STS web identity, IMDS, login…) is ~100 KB of every bundle that a function never uses, so the
 * bundles resolve credentials from the environment only. Scripts run with tsx (migrate, purge) keep the full chain.
 */
const lambdaEnvCredentials = {
  name: 'lambda-env-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: 'lambda-env-credentials',
      namespace: 'kite',
    }));
    build.onLoad({ filter: /^lambda-env-credentials$/, namespace: 'kite' }, () => ({
      contents:
        "import { fromEnv } from '@aws-sdk/credential-provider-env';\n" +
        'export const defaultProvider = (init = {}) => fromEnv(init);\n',
      resolveDir: join(__dirname, '..'),
      loader: 'js',
    }));
  },
};

/**
 * Packages a function loads only on some invocations, with `await import(…)`, ship as separate files next to its
 * bundle instead of inside it: PDF.js (unpdf, 1.6 MB minified: only for PDFs) and the OpenAI SDK (only for users
 * whose provider is `openai`). A cold start then neither parses nor initialises them. Each is written as
 * `<function>.<chunk>.mjs` beside `<function>.js`; serverless-esbuild treats files named `<bundle>.*` as part of
 * that function, so only its zip carries them. Static imports of these packages stay bundled as usual.
 */
const LAZY_CHUNKS = {
  unpdf: 'pdf',
  openai: 'openai',
  // The extract function's pdf.js (lib/extract/raster.ts): an ES module that finds @napi-rs/canvas through
  // createRequire(import.meta.url), which only works from a real .mjs beside node_modules.
  'pdfjs-dist/legacy/build/pdf.mjs': 'pdfjs',
  'pdfjs-dist/legacy/build/pdf.worker.mjs': 'pdfjs-worker',
};
const LAZY_FILTER = new RegExp(
  `^(${Object.keys(LAZY_CHUNKS)
    .map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|')})$`,
);
const lazyChunks = {
  name: 'lazy-chunks',
  setup(build) {
    const { write } = build.initialOptions;
    // Chunks are named after the function and written beside its bundle, so the relative import resolves both in
    // the zip and under serverless offline.
    const place = () => singleOutput(build);
    const used = new Set();
    build.onStart(() => used.clear());
    build.onResolve({ filter: LAZY_FILTER }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      used.add(args.path);
      return { path: `./${place().stem}.${LAZY_CHUNKS[args.path]}.mjs`, external: true };
    });
    // The chunks are built with buildSync, in a process of their own: a nested build through the service that is
    // running this build's callbacks hung once in CI under load (serverless-esbuild builds every function at once).
    build.onEnd((result) => {
      if (result.errors.length > 0 || used.size === 0 || write === false) return;
      const { dir, stem } = place();
      const { minify, target } = build.initialOptions;
      for (const name of used) {
        require('esbuild').buildSync({
          stdin: { contents: `export * from '${name}';`, resolveDir: join(__dirname, '..'), loader: 'js' },
          bundle: true,
          minify,
          target,
          // Dependency code only: no source map, as for node_modules in the bundles (ownCodeSourceMaps).
          platform: 'node',
          format: 'esm',
          // CommonJS dependencies inside an ES module still need `require` for Node's built-ins.
          banner: {
            js: "import { createRequire as __kiteRequire } from 'node:module'; const require = __kiteRequire(import.meta.url);",
          },
          outfile: join(dir, `${stem}.${LAZY_CHUNKS[name]}.mjs`),
          external: ['@napi-rs/canvas'],
          logLevel: 'warning',
        });
      }
    });
  },
};

/**
 * The extract function's OCR (docs/deploy.md "The extract function"). @napi-rs/canvas is a native addon: it stays
 * outside every bundle and the extract package carries it in node_modules/, with its linux-x64-gnu binary (the
 * function runs on x86_64). Beside it, in ocr/, what tesseract.js and pdf.js read from disk at run time: the
 * tesseract worker (bundled on its own: it runs in a worker thread), its WASM cores (the SIMD one, and the
 * relaxed-SIMD one that Node 22 may pick), the language data of every @tesseract.js-data package in package.json, and
 * pdf.js's standard fonts. serverless-esbuild zips a `__only_<function>/` folder into that function's package only.
 * `serverless offline` (npm start) runs from the installed packages instead, so nothing is copied there.
 */
const OCR_FUNCTION = 'extract';
const CANVAS_PACKAGES = ['@napi-rs/canvas', '@napi-rs/canvas-linux-x64-gnu'];
// tesseract.js 7's Node loader is handed `lstmOnly` where it expects an OEM, so it always loads the full cores.
const WASM_CORES = ['tesseract-core-simd.wasm', 'tesseract-core-relaxedsimd.wasm'];
const ocrAssets = {
  name: 'ocr-assets',
  setup(build) {
    build.onResolve({ filter: /^@napi-rs\/canvas$/ }, (args) => ({ path: args.path, external: true }));
    build.onEnd((result) => {
      if (result.errors.length > 0 || build.initialOptions.write === false) return;
      const { dir, stem } = singleOutput(build);
      if (stem !== OCR_FUNCTION || process.argv.includes('offline')) return;
      const root = join(dir, '..', `__only_${OCR_FUNCTION}`);
      rmSync(root, { recursive: true, force: true });
      const ocr = join(root, 'ocr');
      mkdirSync(join(ocr, 'lang'), { recursive: true });
      const moduleDir = (name) => dirname(require.resolve(`${name}/package.json`));
      require('esbuild').buildSync({
        entryPoints: [require.resolve('tesseract.js/src/worker-script/node/index.js')],
        bundle: true,
        minify: build.initialOptions.minify,
        target: build.initialOptions.target,
        platform: 'node',
        format: 'cjs',
        outfile: join(ocr, 'tesseract-worker.js'),
        logLevel: 'warning',
      });
      for (const core of WASM_CORES) cpSync(join(moduleDir('tesseract.js-core'), core), join(ocr, core));
      const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
      for (const name of Object.keys(pkg.dependencies).filter((n) => n.startsWith('@tesseract.js-data/'))) {
        const language = name.slice('@tesseract.js-data/'.length);
        const file = `${language}.traineddata.gz`;
        cpSync(join(moduleDir(name), '4.0.0_best_int', file), join(ocr, 'lang', file));
      }
      cpSync(join(moduleDir('pdfjs-dist'), 'standard_fonts'), join(ocr, 'standard_fonts'), {
        recursive: true,
      });
      for (const name of CANVAS_PACKAGES) {
        cpSync(moduleDir(name), join(root, 'node_modules', name), {
          recursive: true,
          filter: (source) => !/\.(md|d\.ts)$/.test(source),
        });
      }
    });
  },
};

module.exports = [pgNodeOnly, lambdaEnvCredentials, lazyChunks, ocrAssets, ownCodeSourceMaps];
