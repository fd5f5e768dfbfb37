import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort } from '../../local/ports.js';
import { type FakeLlm, startFakeLlm } from './fake-llm.js';

export interface NpmStart {
  /** The API, e.g. http://127.0.0.1:PORT. */
  api: string;
  llm: FakeLlm;
  /** Its build folder, relative to the repository as serverless-esbuild wants it. */
  esbuildDir: string;
  /** How long it took to print `ready`. */
  readyAfterMs: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `npm start` as a user runs it (embedded Postgres, emulators, serverless offline) on free ports in a clean
 * environment, with the fake LLM as its Ollama and its OpenAI-compatible endpoint (the clean environment has no
 * network: a user switched to openai would otherwise ask api.openai.com); resolves once it prints `ready`.
 */
export async function bootNpmStart(extraEnv: Record<string, string> = {}): Promise<NpmStart> {
  // A free port can be taken by another process of this shared machine before npm start binds it: boot again on
  // new ports rather than fail the file.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootOnce(extraEnv);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

/**
 * What a user's shell would give `npm start`: PATH and HOME only, free ports, a fresh data directory and its own
 * esbuild folder in the checkout (docs/development.md "Tests": builds running at once must not share one), plus `extraEnv`.
 */
async function cleanEnvironment(extraEnv: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kite-npm-start-'));
  const workFolder = `.esbuild-${basename(dataDir)}`;
  const [port, pgPort, s3Port, sqsPort, lambdaPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    KITE_PG_PORT: String(pgPort),
    KITE_S3_PORT: String(s3Port),
    KITE_SQS_PORT: String(sqsPort),
    KITE_LAMBDA_PORT: String(lambdaPort),
    KITE_DATA_DIR: dataDir,
    KITE_ESBUILD_DIR: workFolder,
    ...extraEnv,
  };
  return { env, port, dataDir, workFolder };
}

/** Runs `npm start` in a clean environment until it exits by itself (a start that must fail): its code and output. */
export async function npmStartUntilExit(
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { env, dataDir, workFolder } = await cleanEnvironment(extraEnv);
  const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, output };
  } finally {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workFolder, { recursive: true, force: true });
  }
}

async function bootOnce(extraEnv: Record<string, string>): Promise<NpmStart> {
  const llm = await startFakeLlm();
  llm.respondWith(() => JSON.stringify({ topics: [], newTopics: [] }));
  const { env, port, dataDir, workFolder } = await cleanEnvironment({
    OLLAMA_HOST: llm.ollamaHost,
    OPENAI_BASE_URL: llm.openaiBaseUrl,
    ...extraEnv,
  });
  let output = '';
  const started = Date.now();
  // Its own process group, so stop() sends Ctrl-C's SIGINT to all of it as a terminal does.
  const child: ChildProcess = spawn('npm', ['start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workFolder, { recursive: true, force: true });
    await llm.close();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start not ready after 180 s:\n${output}`)),
        180_000,
      );
      const check = setInterval(() => {
        if (/\bready\b/.test(output)) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 100);
      child.once('exit', (code) => {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    api: `http://127.0.0.1:${port}`,
    llm,
    esbuildDir: workFolder,
    readyAfterMs: Date.now() - started,
    output: () => output,
    stop,
  };
}
