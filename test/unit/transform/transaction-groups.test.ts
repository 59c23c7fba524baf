import { describe, expect, test } from '@jest/globals';
import { TransactionGroups } from '../../../services/lambdas/transform/transaction-groups.ts';

describe('TransactionGroups', () => {
  test('the first group that references each transaction, as a Map of first sightings says', () => {
    const groups = new TransactionGroups();
    const reference = new Map<number, number>();
    // Deterministic pseudo-random ids (some repeated across groups), groups in manifest order.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let group = 1; group <= 5; group++) {
      for (let i = 0; i < 3000; i++) {
        const id = next() % 5000;
        groups.add(id, group);
        if (!reference.has(id)) reference.set(id, group);
      }
    }
    for (let id = -2; id < 5002; id++) expect([id, groups.groupOf(id)]).toEqual([id, reference.get(id)]);
  });

  test('ids at the ends of the 32-bit range, and adding after a lookup', () => {
    const groups = new TransactionGroups();
    expect(groups.groupOf(1)).toBeUndefined();
    groups.add(2_147_483_647, 3);
    groups.add(-2_147_483_648, 2);
    groups.add(2_147_483_647, 1);
    expect(groups.groupOf(2_147_483_647)).toBe(1);
    expect(groups.groupOf(-2_147_483_648)).toBe(2);
    expect(groups.groupOf(2_147_483_646)).toBeUndefined();
    groups.add(5, 4);
    expect(groups.groupOf(5)).toBe(4);
    expect(groups.groupOf(2_147_483_647)).toBe(1);
  });

  test('a group outside 1 … 2^20 - 1 is refused', () => {
    expect(() => new TransactionGroups().add(1, 0)).toThrow(RangeError);
    expect(() => new TransactionGroups().add(1, 2 ** 20)).toThrow(RangeError);
  });
});
