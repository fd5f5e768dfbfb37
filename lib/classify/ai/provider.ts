import { AI_PROVIDERS, type Config } from '../../platform/config.js';
import { AiError } from './errors.js';
import { createOllamaProvider } from './ollama.js';
import { createOpenAiProvider } from './openai.js';
import type { AiProvider } from './types.js';

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
