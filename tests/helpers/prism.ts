import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort } from '../../local/ports.js';

/**
 * Stoplight Prism 5 in proxy mode in front of a running kite (docs/api.md "Describing the API"): the second, independent
 * reader of openapi.json. The suite's own check (tests/helpers/openapi.ts) compiles the document with ajv; Prism is
 * what client developers point at it, and it once rejected every search answer that ajv accepted (a JSON Schema
 * tuple). Requests pass through unchanged; each response Prism finds off the document is logged as a violation.
 */
export interface PrismProxy {
  /** Where to send requests instead of the upstream. */
  url: string;
  /** Response violations Prism logged so far ("response.body.… message"). */
  responseViolations(): string[];
  /** Requests Prism forwarded so far. */
  forwarded(): number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startPrismProxy(upstream: string, document = 'openapi.json'): Promise<PrismProxy> {
  const port = await freePort();
  const cli = join(require.resolve('@stoplight/prism-cli/package.json'), '..', 'dist', 'index.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, 'proxy', document, upstream, '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 60_000;
  while (!/Prism is listening/.test(output)) {
    if (child.exitCode !== null) throw new Error(`prism exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`prism did not start within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    responseViolations: () =>
      output
        .split('\n')
        .filter((line) => /Violation: response/.test(line))
        .map((line) => line.replace(/^.*Violation: /, '')),
    forwarded: () => output.split('\n').filter((line) => /Forwarding "/.test(line)).length,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
