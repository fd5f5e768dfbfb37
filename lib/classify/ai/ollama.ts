import { Ollama } from 'ollama';
import { AiError, networkErrorCode, shorten } from './errors.js';
import type { AiProvider, CompletionRequest } from './types.js';

/** Ollama's /api/chat through the official client, with the JSON schema as `format` (constrained decoding). */
export function createOllamaProvider(host: string): AiProvider {
  return {
    name: 'ollama',
    async complete({ model, messages, schema, signal }: CompletionRequest): Promise<string> {
      // The client passes no signal on non-streaming calls, so the record's deadline rides on a fetch wrapper;
      // a client is only a formatted host, so one per call is free.
      const client = new Ollama({
        host,
        fetch: (input, init) => fetch(input, { ...init, signal }),
      });
      try {
        const response = await client.chat({
          model,
          messages,
          format: schema,
          stream: false,
          options: { temperature: 0 },
        });
        return response.message?.content ?? '';
      } catch (error) {
        if (signal.aborted) throw new AiError(`Ollama at ${host} did not answer in time`, { cause: error });
        if (isResponseError(error)) {
          throw new AiError(`Ollama at ${host} answered HTTP ${error.status_code}: ${shorten(error.error)}`, {
            cause: error,
          });
        }
        throw new AiError(`Ollama unreachable at ${host}: ${networkErrorCode(error)}`, { cause: error });
      }
    },
  };
}

/** The client's HTTP error (its class is not exported): `error` is the server's message. */
function isResponseError(error: unknown): error is Error & { error: string; status_code: number } {
  return error instanceof Error && error.name === 'ResponseError' && 'status_code' in error;
}
