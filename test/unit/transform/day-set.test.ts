import { describe, expect, test } from '@jest/globals';
import { DaySet } from '../../../services/lambdas/transform/day-set.ts';
import { civilToDays } from '../../../shared/schema/value-kinds.ts';

describe('DaySet', () => {
  test('every day added, once, ascending, as a sorted Set says', () => {
    const days = new DaySet();
    const reference = new Set<number>();
    let seed = 3;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const day = (seed % 40_000) - 20_000;
      days.add(day);
      reference.add(day);
    }
    expect(Array.from(days.sorted())).toEqual([...reference].sort((a, b) => a - b));
  });

  test('the first and last day of a 4-digit year, and days outside that range', () => {
    const days = new DaySet();
    const first = civilToDays(0, 1, 1);
    const last = civilToDays(9999, 12, 31);
    for (const day of [last + 1, last, 0, first, first - 1, 0, last]) days.add(day);
    expect(Array.from(days.sorted())).toEqual([first - 1, first, 0, last, last + 1]);
  });

  test('nothing added: no day', () => {
    expect(new DaySet().sorted()).toHaveLength(0);
  });
});
