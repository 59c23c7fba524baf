import { describe, expect, test } from '@jest/globals';
import { FactVersions } from '../../../services/lambdas/transform/fact-versions.ts';

describe('FactVersions', () => {
  test('a pair is new once, as a Set of "id version" texts says (through several growths)', () => {
    const versions = new FactVersions();
    const reference = new Set<string>();
    let seed = 11;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const id = (next() % 4000) - 2000;
      // Stamps before and after 1970, some ids with several versions.
      const stamp = ((next() % 7) - 3) * 1_700_000_000_000 + (next() % 3);
      const key = `${id} ${stamp}`;
      expect([key, versions.add(id, stamp)]).toEqual([key, !reference.has(key)]);
      reference.add(key);
    }
    expect(versions.count).toBe(reference.size);
  });

  test('ids at the ends of the 32-bit range and the extreme stamps of a 4-digit year', () => {
    const versions = new FactVersions();
    const low = -62_167_219_200_000; // 0000-01-01 00:00:00.000
    const high = 253_402_300_799_999; // 9999-12-31 23:59:59.999
    for (const id of [-2_147_483_648, 0, 2_147_483_647]) {
      expect(versions.add(id, low)).toBe(true);
      expect(versions.add(id, high)).toBe(true);
      expect(versions.add(id, low)).toBe(false);
      expect(versions.add(id, high)).toBe(false);
    }
    expect(versions.count).toBe(6);
  });
});
