import { AsyncLocalStorage } from 'node:async_hooks';
import { DependencyFailure } from './errors.js';

/**
 * The invocation's deadline (docs/operations.md "Timeouts and faults"). Every handler runs inside `withDeadline`: S3 and SQS
 * calls take its signal, so they and their retries stop when it fires, and the database refuses to send a statement
 * once it has fired. Whatever a handler left running after its answer therefore cannot change a row, an object or
 * a quota. The signal lives in async context rather than in every lib/ signature, the way the logger's request
 * context does.
 */
const current = new AsyncLocalStorage<AbortSignal>();

/** What a handler's context offers (Lambda's, serverless-offline's, the tests'). */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Thrown instead of sending a statement after the deadline; answered 503 like any dependency failure. */
export class DeadlineExceededError extends DependencyFailure {
  constructor(message = "The invocation's deadline has passed") {
    super(message);
  }
}

/** Runs `fn` with a signal that aborts `marginMs` before the function's own timeout. */
export function withDeadline<T>(
  context: RemainingTime | undefined,
  marginMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return fn();
  const signal = AbortSignal.timeout(Math.max(remaining - marginMs, 0));
  return current.run(signal, fn);
}

/** The running invocation's signal; undefined outside a handler (scripts, migrations). */
export function deadlineSignal(): AbortSignal | undefined {
  return current.getStore();
}

/** Throws when the invocation's deadline has passed: call before work that must not start late. */
export function assertBeforeDeadline(): void {
  if (current.getStore()?.aborted) throw new DeadlineExceededError();
}

/** The invocation's signal combined with another (the model call's own budget). */
export function withinDeadline(signal: AbortSignal): AbortSignal {
  const invocation = current.getStore();
  return invocation ? AbortSignal.any([invocation, signal]) : signal;
}
