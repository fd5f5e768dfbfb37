/**
 * S3's multipart limits and how kite cuts a file into parts (docs/api.md "Large files"). Pure functions: the routes
 * and the tests share them.
 */
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 5 * GiB;
export const MAX_PARTS = 10_000;
/** S3's largest object. */
export const MAX_OBJECT_BYTES = 5 * 1024 * GiB;
/** S3's largest single PUT: above it only multipart works. */
export const MAX_SINGLE_PUT_BYTES = 5 * GiB;
/** Part numbers one signing call may ask for. */
export const MAX_PARTS_PER_SIGNING = 1000;

export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** The exact byte length of part `partNumber` (1-based): every part is `partSize` but the last, the rest. */
export function partLength(size: number, partSize: number, partNumber: number): number {
  return Math.min(partSize, size - (partNumber - 1) * partSize);
}

export type PartSizeChoice = { ok: true; partSize: number } | { ok: false; message: string };

/**
 * A client's part size is used exactly or refused (uploaders cut their parts before they ask); without one, the
 * configured default, raised to whole MiB until the parts fit in 10,000.
 */
export function choosePartSize(
  size: number,
  requested: number | undefined,
  defaultBytes: number,
): PartSizeChoice {
  if (requested !== undefined) {
    if (requested < MIN_PART_BYTES || requested > MAX_PART_BYTES) {
      return {
        ok: false,
        message: `partSize must be from ${MIN_PART_BYTES} (5 MiB) to ${MAX_PART_BYTES} (5 GiB)`,
      };
    }
    if (partCount(size, requested) > MAX_PARTS) {
      return {
        ok: false,
        message: `partSize ${requested} cuts this file into more than ${MAX_PARTS} parts; use at least ${Math.ceil(size / MAX_PARTS)}`,
      };
    }
    return { ok: true, partSize: requested };
  }
  const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  return { ok: true, partSize: Math.min(Math.max(defaultBytes, needed), MAX_PART_BYTES) };
}
