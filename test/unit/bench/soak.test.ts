import { describe, expect, test } from '@jest/globals';
import {
  extractSoakSection,
  type MemorySample,
  renderSoakSection,
  replaceSoakSection,
  slope,
  summariseSoak,
} from '../../../services/tools/bench/soak.ts';

const MB = 1024 * 1024;
const sample = (minute: number, rssMb: number, heapMb: number): MemorySample => ({
  at: 1_000_000 + minute * 60_000,
  rss: rssMb * MB,
  heapUsed: heapMb * MB,
  heapTotal: heapMb * 2 * MB,
  external: 0,
  arrayBuffers: 0,
});

describe('soak figures', () => {
  test('slope is the least-squares MB per minute', () => {
    expect(slope([])).toBe(0);
    expect(slope([{ x: 0, y: 10 }])).toBe(0);
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 100 + 15 * x })))).toBeCloseTo(15);
  });

  test('start, after warm-up and end; the slope leaves the warm-up out', () => {
    // A full load takes RSS from 40 to 400 MB in the first two minutes, then it grows 1 MB/min.
    const samples = [
      sample(0, 40, 10),
      sample(1, 300, 80),
      ...[2, 3, 4, 5].map((m) => sample(m, 400 + (m - 2), 50)),
    ];
    const r = summariseSoak(samples, { minutes: 5, rate: 20, warmupMinutes: 2, lakeBytes: 26 * MB });
    expect(r.start).toEqual({ minute: 0, rssMb: 40, heapUsedMb: 10 });
    expect(r.afterWarmup).toEqual({ minute: 2, rssMb: 400, heapUsedMb: 50 });
    expect(r.end).toEqual({ minute: 5, rssMb: 403, heapUsedMb: 50 });
    expect(r.rssMbPerMinute).toBe(1);
    expect(r.heapMbPerMinute).toBe(0);
    expect(r.peakRssMb).toBe(403);
    expect(r.lakeMb).toBe(26);
    expect(() => summariseSoak([], { minutes: 1, rate: 1, warmupMinutes: 0, lakeBytes: 0 })).toThrow(
      'no sample',
    );
  });

  test('RSS outside the V8 heap: RSS minus the resident V8 heap, with its slope after the warm-up', () => {
    // The V8 heap swings with GC (300 then 200 MB resident) while 2 MB/min grows outside it.
    const samples = [0, 1, 2, 3, 4].map((m) => ({
      ...sample(m, 0, 50),
      rss: (100 + 2 * m + (m % 2 === 0 ? 300 : 200)) * MB,
      heapPhysical: (m % 2 === 0 ? 300 : 200) * MB,
    }));
    const r = summariseSoak(samples, { minutes: 4, rate: 20, warmupMinutes: 1, lakeBytes: 0 });
    expect(r.afterWarmup.outsideHeapMb).toBe(102);
    expect(r.end.outsideHeapMb).toBe(108);
    expect(r.outsideHeapMbPerMinute).toBe(2);
    expect(r.peakOutsideHeapMb).toBe(108);
    expect(renderSoakSection(r, '2026-11-30T07:00:00Z', [1, 2, 3])).toContain(
      'RSS outside the V8 heap 2 MB/min; peak RSS 408 MB, peak RSS outside the V8 heap after the warm-up 108 MB',
    );
    // Samples of an older probe have no heapPhysical: no figure rather than a wrong one.
    const old = summariseSoak([sample(0, 40, 10), sample(3, 400, 50)], {
      minutes: 3,
      rate: 20,
      warmupMinutes: 1,
      lakeBytes: 0,
    });
    expect(old.outsideHeapMbPerMinute).toBeUndefined();
    expect(old.end.outsideHeapMb).toBeUndefined();
  });

  test("glibc malloc's bytes in use: their slope after the warm-up, and the trim setting, in the section", () => {
    // 40 MB in use after the warm-up, 0.5 MB/min more: live native allocations that grow.
    const samples = [0, 1, 2, 3, 4].map((m) => ({ ...sample(m, 300, 50), mallocInUse: (40 + 0.5 * m) * MB }));
    const r = summariseSoak(samples, { minutes: 4, rate: 20, warmupMinutes: 1, lakeBytes: 0 });
    expect(r.mallocInUseMbPerMinute).toBe(0.5);
    const on = renderSoakSection({ ...r, mallocArenaMax: '2', mallocTrimSeconds: '60' }, 'now', [1, 2, 3]);
    expect(on).toContain("- glibc malloc's bytes in use (`mallinfo2()`: live native allocations) 0.5 MB/min");
    expect(on).toContain('- `malloc_trim(0)` every 60 s');
    const off = renderSoakSection({ ...r, mallocTrimSeconds: '0' }, 'now', [1, 2, 3]);
    expect(off).toContain('- `malloc_trim(0)` off (`TOTES_MALLOC_TRIM=0`)');
    // A probe without glibc (or an older probe) has no malloc figures: none is shown.
    expect(
      summariseSoak([sample(0, 40, 10), sample(3, 400, 50)], {
        minutes: 3,
        rate: 20,
        warmupMinutes: 1,
        lakeBytes: 0,
      }).mallocInUseMbPerMinute,
    ).toBeUndefined();
  });

  test('the BENCHMARKS.md section is replaced alone, or appended', () => {
    const r = summariseSoak([sample(0, 40, 10), sample(3, 400, 50)], {
      minutes: 3,
      rate: 20,
      warmupMinutes: 1,
      lakeBytes: 0,
    });
    const section = renderSoakSection(r, '2026-11-30T07:00:00Z', [1, 2, 3]);
    const appended = replaceSoakSection('# Benchmarks\n\nfigures\n', section);
    expect(appended.startsWith('# Benchmarks\n\nfigures\n\n')).toBe(true);
    expect(extractSoakSection(appended)).toBe(section);
    const newer = renderSoakSection({ ...r, minutes: 30 }, '2026-12-01T07:00:00Z', [1, 2, 3]);
    const replaced = replaceSoakSection(`${appended}\n## After\n`, newer);
    expect(extractSoakSection(replaced)).toBe(newer);
    expect(replaced).toContain('## After');
    expect(replaced).not.toContain('2026-11-30T07:00:00Z');
  });
});
