import { checkTargets, renderMarkdown, renderSvg } from '../../../services/tools/bench/report.ts';
import type { ScaleResult } from '../../../services/tools/bench/scale-run.ts';
import { percentile } from '../../../services/tools/bench/scale-run.ts';

function scale(n: number, over: Partial<ScaleResult> = {}): ScaleResult {
  const probe = (seconds: number, maxRssMb: number) => ({ seconds, maxRssMb });
  return {
    scale: n,
    sourceRows: 48_000 * n,
    seedSeconds: 1,
    postgresVersion: '18.4',
    copy: { seconds: 0.5 * n, rowsPerSecond: 96_000 },
    pipeline: {
      seconds: 2 * n,
      rowsPerSecond: 24_000,
      stageBusySeconds: { extract: 1, transform: 1, load: 1 },
      factsVerified: true,
      failedRecords: 0,
    },
    ratioPipelineToCopy: 4,
    stages: { extract: probe(1, 100), transform: probe(1, 600), load: probe(1, 200) },
    duckdb: probe(0.5, 150),
    ratioTransformToDuckdb: 2,
    runtimeMaxRssMb: 300,
    ...over,
  };
}

describe('bench report', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(10);
    expect(percentile(sorted, 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
  });

  it('checks every target at the largest scale, with the measured value', () => {
    const checks = checkTargets(
      [
        scale(1, {
          incremental: {
            runs: 20,
            eventsPerCycle: 35,
            changedRowsMedian: 90,
            p50Ms: 500,
            p95Ms: 2500,
            maxMs: 3000,
            samplesMs: [],
          },
        }),
        scale(10),
      ],
      [{ stage: 'load', bundleBytes: 1_100_000, zipBytes: 1, coldInitMs: 1, processToReadyMs: 1 }],
    );
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['pipeline / COPY baseline (scale 10)']).toMatchObject({
      measured: '4×',
      met: false,
      overPercent: 33,
    });
    expect(byName['transform / DuckDB (scale 10)']).toMatchObject({ met: true });
    expect(byName['peak RSS of any stage (scale 10)']).toMatchObject({ measured: '600 MB', met: false });
    expect(byName['incremental latency p95']).toMatchObject({ measured: '2500 ms', met: false });
    expect(byName['load bundle size']?.met).toBe(false);
  });

  it('draws both series with a labelled point per scale and references the chart from the markdown', () => {
    const scales = [scale(1), scale(10)];
    const svg = renderSvg(scales);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('COPY baseline');
    expect(svg).toContain('whole pipeline');
    const md = renderMarkdown(
      {
        startedAt: 'now',
        totalSeconds: 1,
        machine: { nproc: 2, memoryGb: 8, cpuModel: 'cpu', node: '24', postgres: '18', loadAverage: [1] },
        scales,
        bundles: [],
        targets: checkTargets(scales, []),
      },
      'docs/chart.svg',
      'notes here',
    );
    expect(md).toContain('![throughput against scale](docs/chart.svg)');
    expect(md).toContain('**missed**');
    expect(md.trim().endsWith('notes here')).toBe(true);
  });
});
