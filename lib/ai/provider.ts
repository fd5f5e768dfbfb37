import { AI_PROVIDERS, type AiProviderName, type Config } from '../config.js';
import { AiError } from './errors.js';
import { createOllamaProvider } from './ollama.js';
import { createOpenAiProvider } from './openai.js';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  /** The JSON schema the answer must follow (Ollama `format`, OpenAI `response_format.json_schema`). */
  schema: Record<string, unknown>;
  /** Aborts the call when the record's time budget runs out. */
  signal: AbortSignal;
}

/** An LLM backend: one chat request in, the assistant's raw text out. Failures are `AiError`s. */
export interface AiProvider {
  readonly name: AiProviderName;
  complete(request: CompletionRequest): Promise<string>;
}

const providers = new Map<string, AiProvider>();

/** The provider called `name` (from `users.ai_provider` or DEFAULT_AI_PROVIDER), created once per instance. */
export function resolveProvider(name: string, cfg: Config): AiProvider {
  const cached = providers.get(name);
  if (cached) return cached;
  let provider: AiProvider;
  if (name === 'ollama') provider = createOllamaProvider(cfg.OLLAMA_HOST);
  else if (name === 'openai') provider = createOpenAiProvider(cfg.OPENAI_BASE_URL, cfg.OPENAI_API_KEY);
  else {
    throw new AiError(`Unknown AI provider '${name}' (known: ${AI_PROVIDERS.join(', ')})`, {
      permanent: true,
    });
  }
  providers.set(name, provider);
  return provider;
}
