import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy passed on, and how it ended. */
export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** S3's status, or 0 when the client gave up before S3 answered. */
  status: number;
}

export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  /**
   * Holds the next request matching `match` (never forwarded) until the returned `drop` cuts its connection, as
   * a network that goes away mid-upload would; `held` resolves once such a request has arrived.
   */
  holdNext(match: (request: ProxiedRequest) => boolean): { held: Promise<void>; drop(): void };
  stop(): Promise<void>;
}

/**
 * A plain HTTP proxy in front of S3 that records every request: how a test counts what S3 actually received.
 * Host and every other header go through unchanged, so URLs signed for the proxy's address verify at S3.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let hold: { match: (request: ProxiedRequest) => boolean; arrived: (drop: () => void) => void } | undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const record: ProxiedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      status: 0,
    };
    requests.push(record);
    if (hold?.match(record)) {
      const { arrived } = hold;
      hold = undefined;
      arrived(() => req.socket.destroy());
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          record.status = answer.statusCode ?? 0;
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.on('close', () => {
      if (!req.complete) forward.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    holdNext(match) {
      let cut: (() => void) | undefined;
      const held = new Promise<void>((resolve) => {
        hold = {
          match,
          arrived: (drop) => {
            cut = drop;
            resolve();
          },
        };
      });
      return { held, drop: () => cut?.() };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
