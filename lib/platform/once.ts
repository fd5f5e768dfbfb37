/**
 * A value made on first call and kept for the instance (an SDK loaded on first use, its client); a failure is not
 * kept, so the next call tries again. Module-level calls carry a @__PURE__ annotation, so a bundle that never
 * uses the value drops it, and whatever its loader imports, entirely.
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
