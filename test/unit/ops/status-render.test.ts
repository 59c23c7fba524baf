import { type PipelineStatus, renderStatus } from '../../../services/tools/ops/status/collect.ts';

const status: PipelineStatus = {
  target: 'local',
  description: '/w/.totes',
  schedule: {
    target: 'local',
    name: '/w/.totes/schedule.json',
    state: 'ENABLED',
    expression: null,
    changedAt: null,
    runtimeRunning: true,
  },
  stateDir: '/w/.totes',
  runtimeRunning: true,
  queues: [],
  watermarks: { sales_order: '2026-11-28 02:09:08.260' },
  heartbeat: {
    pk: 'HEARTBEAT',
    sk: 'extract',
    runId: '20261128T020908260Z-74fec048',
    at: '2026-11-28T02:09:08.260Z',
    rows: 120,
    changedRows: 55,
    status: 'extracted',
  },
  latestRuns: [
    {
      pk: 'RUN',
      sk: '20261128T020908260Z-74fec048',
      runId: '20261128T020908260Z-74fec048',
      status: 'extracted',
      changedRows: 55,
      rows: 1200,
      durationMs: 2345,
      expires_at: 1,
    },
    {
      pk: 'RUN',
      sk: 'r2',
      runId: 'r2',
      status: 'failed',
      changedRows: 0,
      rows: 0,
      durationMs: 10,
      error: 'boom',
    },
  ],
  warehouse: { fact_sales_order: 11813 },
  unitsLoaded: 8,
  freshness: { newestSourceUpdate: '2026-11-28 02:09:01.000', ageSeconds: 7 },
};

describe('totes status, as text', () => {
  const text = renderStatus(status);

  it('renders the heartbeat and each run as readable lines, not JSON', () => {
    expect(text).toContain(
      'last extract heartbeat: 2026-11-28T02:09:08.260Z, run 20261128T020908260Z-74fec048 extracted, 55 changed of 120 rows',
    );
    expect(text).toMatch(
      /^ {2}20261128T020908260Z-74fec048 {2}extracted {2}55 changed, 1,200 rows {2}2\.3s$/m,
    );
    expect(text).toMatch(/^ {2}r2 {2}failed {5}0 changed, 0 rows {2}0\.0s {2}error: boom$/m);
    expect(text).not.toMatch(/[{}]/);
  });

  it('says when there is no heartbeat yet', () => {
    expect(renderStatus({ ...status, heartbeat: null, latestRuns: [] })).toContain(
      'last extract heartbeat: none yet',
    );
  });
});
