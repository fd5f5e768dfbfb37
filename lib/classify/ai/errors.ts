/**
 * A classification failure whose message a user may read (it lands in `documents.error`). `permanent` means a retry
 * cannot help, so the document fails at once instead of after every attempt.
 */
export class AiError extends Error {
  override name = 'AiError';
  readonly permanent: boolean;

  constructor(message: string, options: { cause?: unknown; permanent?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent ?? false;
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, … from a failed fetch (undici puts the socket error in `cause`). */
export function networkErrorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const withCode = current as Error & { code?: unknown; errors?: unknown[] };
    if (typeof withCode.code === 'string' && withCode.code.startsWith('E')) return withCode.code;
    const first = withCode.errors?.[0] as { code?: unknown } | undefined;
    if (typeof first?.code === 'string') return first.code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Keeps a server's error text readable in `documents.error`: one line, bounded. */
export function shorten(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
