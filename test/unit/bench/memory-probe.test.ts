import { describe, expect, test } from '@jest/globals';
import { mainArenaResident, residentParts } from '../../../services/tools/bench/memory-probe.ts';

// Excerpts of /proc/self/smaps and smaps_rollup as Linux prints them.
const SMAPS = `55d0c2a00000-55d0c2a01000 r--p 00000000 08:01 1234                       /usr/bin/node
Size:                  4 kB
Rss:                   4 kB
55d0c4b7e000-55d0c8a3f000 rw-p 00000000 00:00 0                          [heap]
Size:              64260 kB
KernelPageSize:        4 kB
Rss:               33424 kB
Pss:               33424 kB
7f1c18000000-7f1c1c000000 rw-p 00000000 00:00 0 
Size:              65536 kB
Rss:               16580 kB
`;

describe('the memory probe', () => {
  test("the main malloc arena's resident size is the Rss of the [heap] mapping", () => {
    expect(mainArenaResident(SMAPS)).toBe(33_424 * 1024);
    expect(mainArenaResident(SMAPS.replace('[heap]', '[stack]'))).toBeUndefined();
  });

  test('smaps_rollup splits the RSS into anonymous and file-backed', () => {
    expect(residentParts('Rss:              350000 kB\nPss: 1 kB\nAnonymous:        270000 kB\n')).toEqual({
      anonymous: 270_000 * 1024,
      fileBacked: 80_000 * 1024,
    });
    expect(residentParts('Rss: 1 kB\n')).toBeUndefined();
  });
});
