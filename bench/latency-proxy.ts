import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of the S3 server that holds every request for a fixed time before forwarding it:
 * the round trip a Lambda pays to S3, which an emulator on the same machine does not charge. Requests are
 * forwarded unchanged (Host included, so a server that checks SigV4 still accepts them).
 */
export interface LatencyProxy {
  url: string;
  latencyMs: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(upstream: string, latencyMs: number): Promise<LatencyProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      setTimeout(() => {
        const forwarded = http.request(
          {
            host: target.hostname,
            port: target.port,
            method: request.method,
            path: request.url,
            headers: request.headers,
            agent,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        forwarded.on('error', (error) => {
          response.writeHead(502);
          response.end(String(error));
        });
        forwarded.end(Buffer.concat(chunks));
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    latencyMs,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
