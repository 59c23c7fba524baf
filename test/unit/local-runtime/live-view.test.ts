import {
  currentAlarms,
  type LiveSources,
  renderSnapshot,
} from '../../../services/tools/local-runtime/live-view.ts';

describe('live view', () => {
  it('evaluates the alarms at most once per refresh period, keeping the last states on a failure', async () => {
    let evaluations = 0;
    let fail = false;
    const sources = {
      alarms: async () => {
        evaluations++;
        if (fail) throw new Error('warehouse unreachable');
        return [{ name: 'totes-load-dlq-messages-visible', state: 'OK' }];
      },
    } as unknown as LiveSources;
    expect(await currentAlarms(sources)).toEqual([{ name: 'totes-load-dlq-messages-visible', state: 'OK' }]);
    await currentAlarms(sources);
    await currentAlarms(sources);
    expect(evaluations).toBe(1);

    fail = true;
    sources.alarmCache = { at: 0, states: sources.alarmCache?.states ?? [] };
    expect(await currentAlarms(sources)).toEqual([{ name: 'totes-load-dlq-messages-visible', state: 'OK' }]);
    expect(evaluations).toBe(2);
  });

  it('names the alarms in ALARM', () => {
    const lines = renderSnapshot(
      {
        uptimeSeconds: 5,
        extract: { runs: 1, failures: 0, last: 'extracted' },
        stages: { transform: { ok: 1, failed: 0, batches: 1 }, load: { ok: 0, failed: 5, batches: 5 } },
        queues: { 'totes-load': 0 },
        dlq: { 'totes-load-dlq': 1 },
        warehouse: { fact_sales_order: 3 },
        freshnessSeconds: 12,
        simulated: null,
        alarms: [
          { name: 'totes-load-dlq-messages-visible', state: 'ALARM' },
          { name: 'totes-extract-heartbeat', state: 'OK' },
        ],
      },
      '/tmp/state',
    );
    expect(lines.at(-1)).toBe('alarms     ALARM: totes-load-dlq-messages-visible');
    expect(lines.join('\n')).toContain('totes-load-dlq 1');
  });
});
