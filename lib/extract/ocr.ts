import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker as TesseractWorker } from 'tesseract.js';
import { ConfigError } from '../platform/config.js';
import { logger } from '../platform/logger.js';

/**
 * OCR with tesseract.js (Tesseract 5 in WASM), offline (docs/operations.md "Text from scans and photos"): the
 * language data comes from the `@tesseract.js-data/<lang>` packages, never from a CDN. One worker per process (one
 * per Lambda instance), created on first use and reused: a worker per call leaks ~75 MB each. A page that takes
 * longer than its timeout terminates the worker (tesseract has no job timeout); the next page gets a new one.
 */

/** The LSTM-only "best_int" model: 3 MB for eng, as accurate here as the 11 MB legacy+LSTM one and faster to load. */
const MODEL_FOLDER = '4.0.0_best_int';

/**
 * Where the extract function's package keeps its OCR files (deploy/esbuild-plugins.cjs puts them in `ocr/` beside
 * `functions/`): the tesseract worker and WASM cores, the language data, pdf.js's fonts. `KITE_OCR_ASSETS` names
 * another folder; with neither, the installed packages are used (tsx, tests, `npm start`).
 */
export function assetsFolder(): string | undefined {
  if (process.env.KITE_OCR_ASSETS) return process.env.KITE_OCR_ASSETS;
  const beside = join(__dirname, '..', 'ocr');
  return existsSync(join(beside, 'tesseract-worker.js')) ? beside : undefined;
}

const requireHere = createRequire(__filename);

/** The folder holding `<lang>.traineddata.gz` for one language, or undefined when its package is not installed. */
export function languageFolder(language: string): string | undefined {
  const assets = assetsFolder();
  if (assets) {
    const folder = join(assets, 'lang');
    return existsSync(join(folder, `${language}.traineddata.gz`)) ? folder : undefined;
  }
  try {
    const folder = join(
      dirname(requireHere.resolve(`@tesseract.js-data/${language}/package.json`)),
      MODEL_FOLDER,
    );
    return existsSync(join(folder, `${language}.traineddata.gz`)) ? folder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * OCR_LANGUAGES' problems, for the configuration check at cold start: each language needs its data package
 * installed (and, in a bundle, copied), and all of them must sit in one folder, because tesseract.js takes one
 * `langPath`. An empty list means no problem.
 */
export function ocrLanguageProblems(languages: readonly string[]): string[] {
  const folders = new Set<string>();
  const problems: string[] = [];
  for (const language of languages) {
    const folder = languageFolder(language);
    if (folder) folders.add(folder);
    else
      problems.push(
        `OCR language "${language}" is not installed: npm install @tesseract.js-data/${language} (docs/operations.md "Text from scans and photos")`,
      );
  }
  if (folders.size > 1) {
    problems.push(`the OCR languages' data must sit in one folder; found ${[...folders].join(', ')}`);
  }
  return problems;
}

/** Fails the extract function's init with a readable message when an OCR language's data is missing. */
export function checkOcrConfig(cfg: { OCR_LANGUAGES: readonly string[] }): void {
  const problems = ocrLanguageProblems(cfg.OCR_LANGUAGES);
  if (problems.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n${problems.map((p) => `  - OCR_LANGUAGES: ${p}`).join('\n')}`,
    );
  }
}

export class OcrTimeoutError extends Error {
  override name = 'OcrTimeoutError';
}

interface OcrState {
  languages: string;
  worker: Promise<TesseractWorker> | undefined;
}

const state: OcrState = { languages: '', worker: undefined };

async function createOcrWorker(languages: readonly string[]): Promise<TesseractWorker> {
  const folder = languageFolder(languages[0] ?? 'eng');
  if (!folder) throw new Error(ocrLanguageProblems(languages).join('; '));
  const { createWorker, OEM } = await import('tesseract.js');
  const assets = assetsFolder();
  const worker = await createWorker([...languages], OEM.LSTM_ONLY, {
    langPath: folder,
    gzip: true,
    // The default cache writes <lang>.traineddata into the working directory, and a stale copy there would win.
    cacheMethod: 'none',
    // Bundled, tesseract.js's own default (a path relative to its source file) points nowhere.
    workerPath: assets
      ? join(assets, 'tesseract-worker.js')
      : requireHere.resolve('tesseract.js/src/worker-script/node/index.js'),
    // A failed job rejects its promise; without a handler tesseract.js also throws it out of an event callback.
    errorHandler: (error: unknown) => logger.warn('ocr: worker reported an error', { error: String(error) }),
  });
  // A crash of the worker thread must not take the process down: the next page gets a new worker.
  (worker as unknown as { worker?: NodeJS.EventEmitter }).worker?.on('error', (error: Error) => {
    logger.error('ocr: worker crashed; a new one is made for the next page', { error });
    void dropWorker();
  });
  return worker;
}

function ocrWorker(languages: readonly string[]): Promise<TesseractWorker> {
  const key = languages.join('+');
  if (state.worker && state.languages === key) return state.worker;
  if (state.worker) void dropWorker();
  state.languages = key;
  state.worker = createOcrWorker(languages);
  // A failed creation is not cached: the next call tries again.
  state.worker.catch(() => {
    if (state.languages === key) state.worker = undefined;
  });
  return state.worker;
}

async function dropWorker(): Promise<void> {
  const worker = state.worker;
  state.worker = undefined;
  if (!worker) return;
  try {
    await (await worker).terminate();
  } catch {
    // creation failed or it is gone already
  }
}

/** Terminates the process's worker (a live worker thread keeps Node from exiting); the next OCR makes a new one. */
export function terminateOcr(): Promise<void> {
  return dropWorker();
}

export interface OcrOptions {
  languages: readonly string[];
  /** How long one image may take; beyond it the worker is terminated and OcrTimeoutError thrown. */
  timeoutMs: number;
}

/**
 * The text of one image (PNG, JPEG, TIFF, WebP, BMP or an 8-bit PGM, which costs nothing to encode). One job at a
 * time per worker: callers OCR page after page.
 */
export async function recognise(image: Uint8Array, options: OcrOptions): Promise<string> {
  const worker = await ocrWorker(options.languages);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OcrTimeoutError('OCR took too long')), options.timeoutMs);
  });
  try {
    const result = await Promise.race([worker.recognize(Buffer.from(image)), timeout]);
    return result.data.text;
  } catch (error) {
    // A timed-out job keeps the worker busy: only a new worker can take the next page.
    if (error instanceof OcrTimeoutError) await dropWorker();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
