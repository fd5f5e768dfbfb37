import net, { type AddressInfo, type Socket } from 'node:net';

/**
 * What the proxy does to traffic:
 * - `pass`: forwards both ways;
 * - `hang`: accepts and reads, forwards nothing, answers nothing, and holds what it read: switching back to `pass`
 *   delivers it, as a dependency that was slow rather than dead would;
 * - `reset`: resets every connection, open ones included (a cut mid-query or mid-request);
 * - `http503`: answers every request with an HTTP 503 and closes (S3 and SQS over HTTP).
 */
export type FaultMode = 'pass' | 'hang' | 'reset' | 'http503';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Bytes read while hanging, per direction, delivered on resume. */
  heldUp: Buffer[];
  heldDown: Buffer[];
}

export interface FaultProxy {
  /** host:port of the proxy. */
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  mode: FaultMode;
  setMode(mode: FaultMode): void;
  /** Resolves once some bytes are held by a hang (a request or statement is in flight). */
  held(): Promise<void>;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP proxy in front of a dependency (S3, SQS, Postgres) that injects faults on command. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let heldWaiters: (() => void)[] = [];
  let mode: FaultMode = 'pass';

  const notifyHeld = () => {
    const waiters = heldWaiters;
    heldWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const reset = (pair: Pair) => {
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
    pairs.delete(pair);
  };

  const answer503 = (pair: Pair) => {
    const body = JSON.stringify({ __type: 'ServiceUnavailable', message: 'injected by the fault proxy' });
    pair.client.end(
      [
        'HTTP/1.1 503 Service Unavailable',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
    pair.upstream.destroy();
    pairs.delete(pair);
  };

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, heldUp: [], heldDown: [] };
    pairs.add(pair);
    if (mode === 'reset') {
      reset(pair);
      return;
    }
    client.on('data', (chunk) => {
      if (mode === 'pass') upstream.write(chunk);
      else if (mode === 'hang') {
        pair.heldUp.push(chunk);
        notifyHeld();
      } else if (mode === 'http503') answer503(pair);
      else reset(pair);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'pass') client.write(chunk);
      else if (mode === 'hang') pair.heldDown.push(chunk);
      else reset(pair);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    setMode(next: FaultMode) {
      mode = next;
      for (const pair of [...pairs]) {
        if (next === 'reset') reset(pair);
        if (next === 'pass') {
          for (const chunk of pair.heldUp.splice(0)) pair.upstream.write(chunk);
          for (const chunk of pair.heldDown.splice(0)) pair.client.write(chunk);
        }
      }
    },
    held: () =>
      [...pairs].some((pair) => pair.heldUp.length > 0)
        ? Promise.resolve()
        : new Promise<void>((resolve) => heldWaiters.push(resolve)),
    connections: () => accepted,
    close: async () => {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The URL with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: FaultProxy): string {
  const parsed = new URL(url);
  parsed.hostname = proxy.host;
  parsed.port = String(proxy.port);
  return parsed.toString().replace(/\/$/, '');
}

/** host and port of a URL (postgres:// or http://). */
export function targetOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || (parsed.protocol.startsWith('postgres') ? 5432 : 80)),
  };
}
