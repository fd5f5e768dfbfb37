import type { AiProviderName } from '../../platform/config.js';

// What every provider implements, kept out of provider.ts: that module imports the providers to pick one, so
// their interface living there made the modules import each other.

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
