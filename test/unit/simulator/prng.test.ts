import { createRng } from '../../../services/tools/simulator/prng.ts';

describe('seeded generator', () => {
  const take = (seed: number, stream: string, n = 50) => {
    const rng = createRng(seed, stream);
    return Array.from({ length: n }, () => rng.uint32());
  };

  it('repeats exactly for the same seed and stream', () => {
    expect(take(42, 'sales')).toEqual(take(42, 'sales'));
  });

  it('differs for another seed or another stream', () => {
    expect(take(42, 'sales')).not.toEqual(take(43, 'sales'));
    expect(take(42, 'sales')).not.toEqual(take(42, 'purchases'));
  });

  it('pins its output, so generated data cannot drift silently between versions', () => {
    const rng = createRng(1, 'pin');
    const pinned = [rng.uint32(), rng.uint32(), rng.int(1, 100), rng.chars('ABC', 5)];
    expect(pinned).toEqual(PINNED);
  });

  it('keeps int() inside its inclusive bounds and reaches both ends', () => {
    const rng = createRng(7, 'bounds');
    const seen = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      const x = rng.int(3, 9);
      expect(x >= 3 && x <= 9 && Number.isInteger(x)).toBe(true);
      seen.add(x);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
    const big = rng.int(1_600_000_000_000, 1_700_000_000_000); // ms timestamps, beyond 2^32
    expect(big >= 1_600_000_000_000 && big <= 1_700_000_000_000).toBe(true);
    expect(() => rng.int(5, 4)).toThrow(RangeError);
  });

  it('next() is uniform enough in [0, 1)', () => {
    const rng = createRng(3, 'uniform');
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]++;
    }
    for (const n of buckets) expect(Math.abs(n - 2_000)).toBeLessThan(200);
  });

  it('shuffle returns a permutation and leaves its input alone', () => {
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = createRng(5, 'shuffle').shuffle(input);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort()).toEqual(input);
  });
});

const PINNED: unknown[] = [158560096, 3537172485, 66, 'BABCC'];
