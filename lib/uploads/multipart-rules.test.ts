import { describe, expect, it } from 'vitest';
import { choosePartSize, GiB, MAX_PARTS, MiB, partCount, partLength } from './multipart-rules.js';

const DEFAULT = 16 * MiB;

describe('part sizes', () => {
  it('takes MULTIPART_PART_BYTES when the parts fit in 10,000', () => {
    expect(choosePartSize(100 * MiB, undefined, DEFAULT)).toEqual({ ok: true, partSize: DEFAULT });
    expect(choosePartSize(DEFAULT * MAX_PARTS, undefined, DEFAULT)).toEqual({ ok: true, partSize: DEFAULT });
  });

  it('raises the default to whole MiB until the parts fit in 10,000 (a 50 GB archive, 5 TiB)', () => {
    const fifty = 50 * 1000 ** 3;
    const choice = choosePartSize(fifty, undefined, DEFAULT);
    expect(choice).toEqual({ ok: true, partSize: 16 * MiB });
    const tib5 = 5 * 1024 * GiB;
    const big = choosePartSize(tib5, undefined, DEFAULT);
    if (!big.ok) throw new Error(big.message);
    expect(big.partSize % MiB).toBe(0);
    expect(partCount(tib5, big.partSize)).toBeLessThanOrEqual(MAX_PARTS);
    expect(partCount(tib5, big.partSize - MiB)).toBeGreaterThan(MAX_PARTS);
  });

  it("uses a client's part size exactly, from 5 MiB to 5 GiB", () => {
    expect(choosePartSize(12 * MiB, 5 * MiB, DEFAULT)).toEqual({ ok: true, partSize: 5 * MiB });
    expect(choosePartSize(6 * GiB, 5 * GiB, DEFAULT)).toEqual({ ok: true, partSize: 5 * GiB });
    expect(choosePartSize(12 * MiB, 5 * MiB - 1, DEFAULT).ok).toBe(false);
    expect(choosePartSize(12 * MiB, 5 * GiB + 1, DEFAULT).ok).toBe(false);
  });

  it('refuses a client part size that needs more than 10,000 parts, saying what would do', () => {
    const choice = choosePartSize(10_000 * 5 * MiB + 1, 5 * MiB, DEFAULT);
    expect(choice.ok).toBe(false);
    if (!choice.ok) expect(choice.message).toContain(String(Math.ceil((10_000 * 5 * MiB + 1) / MAX_PARTS)));
  });

  it('cuts every part at partSize but the last, which is the rest', () => {
    expect(partCount(12 * MiB + 7, 5 * MiB)).toBe(3);
    expect([1, 2, 3].map((n) => partLength(12 * MiB + 7, 5 * MiB, n))).toEqual([
      5 * MiB,
      5 * MiB,
      2 * MiB + 7,
    ]);
    expect(partCount(10 * MiB, 5 * MiB)).toBe(2);
    expect(partLength(10 * MiB, 5 * MiB, 2)).toBe(5 * MiB);
    expect(partCount(1, 5 * MiB)).toBe(1);
    expect(partLength(1, 5 * MiB, 1)).toBe(1);
  });
});
