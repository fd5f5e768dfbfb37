import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configure } from './env.js';

/** One request the fake received, whichever API it came through. */
export interface LlmRequest {
  api: 'ollama' | 'openai';
  model: string;
  messages: { role: string; content: string }[];
  /** Ollama's `format`, or OpenAI's `response_format.json_schema.schema`. */
  format: unknown;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
}

/** A scripted reply: the assistant's content, an HTTP error, or a reply that comes late. */
export type LlmReply = string | { content: string; delayMs?: number } | { status: number; error: string };

export type LlmResponder = (request: LlmRequest) => LlmReply;

export interface FakeLlm {
  /** For OLLAMA_HOST. */
  ollamaHost: string;
  /** For OPENAI_BASE_URL. */
  openaiBaseUrl: string;
  /** Every request received, oldest first. */
  requests: LlmRequest[];
  /** Queues replies, used one per request before the responder. */
  reply(...replies: LlmReply[]): void;
  /** What to answer when the queue is empty (default: no topics). */
  respondWith(responder: LlmResponder): void;
  /** Forgets requests, queued replies and the responder. */
  reset(): void;
  close(): Promise<void>;
}

const EMPTY_ANSWER = JSON.stringify({ topics: [], newTopics: [] });

/**
 * This file's model server, for both providers (OLLAMA_HOST and OPENAI_BASE_URL), closed after its tests. The
 * configuration is parsed when a function loads, so call it in `vi.hoisted` (tests/helpers/env.ts):
 *
 *   const fake = await vi.hoisted(async () => (await import('./fake-llm.js')).useFakeLlm());
 */
export async function useFakeLlm(settings: Record<string, string> = {}): Promise<FakeLlm> {
  const fake = await startFakeLlm();
  configure({ OLLAMA_HOST: fake.ollamaHost, OPENAI_BASE_URL: fake.openaiBaseUrl, ...settings });
  // Imported here, not at the top: the bench uses this module outside vitest.
  const { afterAll } = await import('vitest');
  afterAll(() => fake.close());
  return fake;
}

/**
 * A node:http server that speaks Ollama's `POST /api/chat` (non-streaming) and OpenAI's
 * `POST /v1/chat/completions`, so tests drive the real clients against scripted answers.
 */
export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: LlmRequest[] = [];
  const queue: LlmReply[] = [];
  let responder: LlmResponder = () => EMPTY_ANSWER;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const api = req.method === 'POST' && req.url === '/api/chat' ? 'ollama' : undefined;
    const openai = req.method === 'POST' && req.url === '/v1/chat/completions' ? 'openai' : undefined;
    const which = api ?? openai;
    if (!which) return send(res, 404, { error: `no route ${req.method} ${req.url}` });

    const request: LlmRequest = {
      api: which,
      model: body.model,
      messages: body.messages,
      format: which === 'ollama' ? body.format : body.response_format?.json_schema?.schema,
      headers: req.headers,
      body,
    };
    requests.push(request);
    const reply = queue.shift() ?? responder(request);
    const scripted = typeof reply === 'string' ? { content: reply } : reply;

    if ('status' in scripted) {
      const error =
        which === 'ollama'
          ? { error: scripted.error }
          : { error: { message: scripted.error, type: 'server_error' } };
      return send(res, scripted.status, error);
    }
    if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    if (res.destroyed) return;
    if (which === 'ollama') {
      return send(res, 200, {
        model: body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: scripted.content },
        done: true,
        done_reason: 'stop',
        total_duration: 1_000_000,
        load_duration: 1_000,
        prompt_eval_count: 10,
        prompt_eval_duration: 1_000,
        eval_count: 10,
        eval_duration: 1_000,
      });
    }
    return send(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: scripted.content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    ollamaHost: url,
    openaiBaseUrl: `${url}/v1`,
    requests,
    reply: (...replies) => queue.push(...replies),
    respondWith: (next) => {
      responder = next;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      responder = () => EMPTY_ANSWER;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
