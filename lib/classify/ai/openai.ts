import { once } from '../../platform/once.js';
import { AiError, networkErrorCode, shorten } from './errors.js';
import type { AiProvider, CompletionRequest } from './types.js';

/**
 * Any OpenAI-compatible /chat/completions endpoint (OpenAI, Ollama's /v1, vLLM, LiteLLM, …) through the official
 * client, asking for a strict `json_schema` response. SQS retries the record, so the client does not retry.
 */
export function createOpenAiProvider(baseURL: string, apiKey: string | undefined): AiProvider {
  // The SDK is loaded on the first request: most instances only ever talk to Ollama (see deploy/esbuild-plugins.cjs).
  // A failed load is not kept: the next record tries again.
  const load = once(async () => {
    try {
      const sdk = await import('openai');
      // Local endpoints need no key, but the client refuses to start without one.
      return { sdk, client: new sdk.OpenAI({ baseURL, apiKey: apiKey ?? 'not-set', maxRetries: 0 }) };
    } catch (error) {
      throw new AiError(`Could not load the OpenAI client: ${shorten(String(error))}`, { cause: error });
    }
  });
  return {
    name: 'openai',
    async complete({ model, messages, schema, signal }: CompletionRequest): Promise<string> {
      const { sdk, client } = await load();
      const { APIConnectionError, APIError } = sdk;
      try {
        const completion = await client.chat.completions.create(
          {
            model,
            messages,
            // No temperature: reasoning models refuse anything but the default.
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'classification', strict: true, schema },
            },
          },
          { signal },
        );
        const choice = completion.choices[0];
        if (choice?.message.refusal) throw new AiError(`Model refused: ${shorten(choice.message.refusal)}`);
        return choice?.message.content ?? '';
      } catch (error) {
        if (error instanceof AiError) throw error;
        if (signal.aborted) {
          throw new AiError(`OpenAI-compatible endpoint at ${baseURL} did not answer in time`, {
            cause: error,
          });
        }
        if (error instanceof APIConnectionError) {
          const reason = networkErrorCode(error.cause ?? error);
          throw new AiError(`OpenAI-compatible endpoint unreachable at ${baseURL}: ${reason}`, {
            cause: error,
          });
        }
        if (error instanceof APIError && error.status !== undefined) {
          throw new AiError(
            `OpenAI-compatible endpoint at ${baseURL} answered HTTP ${shorten(error.message)}`,
            { cause: error },
          );
        }
        throw new AiError(`OpenAI-compatible endpoint at ${baseURL} failed: ${shorten(String(error))}`, {
          cause: error,
        });
      }
    },
  };
}
