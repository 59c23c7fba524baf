import { describe, expect, test } from '@jest/globals';
import { DimensionRows } from '../../../services/lambdas/transform/dimension-rows.ts';

describe('DimensionRows', () => {
  test('get, set and the rows by id agree with a Map (through several growths, rows replaced)', () => {
    const rows = new DimensionRows();
    const reference = new Map<number, readonly number[]>();
    let seed = 5;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      // Runs of neighbouring ids (as parts come) and random ones, some met again.
      const id = i % 3 === 0 ? (next() % 50_000) - 25_000 : i;
      expect(rows.get(id)).toBe(reference.get(id));
      const row = [id, i];
      rows.set(id, row);
      reference.set(id, row);
    }
    expect(rows.size).toBe(reference.size);
    const ids = [...reference.keys()].sort((a, b) => a - b);
    expect(rows.sortedById()).toEqual(ids.map((id) => reference.get(id)));
    expect(rows.get(1_000_000)).toBeUndefined();
  });

  test('ids at the ends of the 32-bit range, and no rows', () => {
    const rows = new DimensionRows();
    expect(rows.sortedById()).toEqual([]);
    for (const id of [2_147_483_647, -2_147_483_648, 0, -1]) rows.set(id, [id]);
    rows.set(-1, ['replaced']);
    expect(rows.sortedById()).toEqual([[-2_147_483_648], ['replaced'], [0], [2_147_483_647]]);
  });
});
