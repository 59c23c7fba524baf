import {
  type AlarmObservations,
  evaluateRules,
  parseUtc,
  stateChanges,
} from '../../../services/tools/ops/alarms/index.ts';
import { alarmsFor } from '../../../shared/config/alarms.ts';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const alarms = alarmsFor('local', 'totes');

function observations(overrides: Partial<AlarmObservations> = {}): AlarmObservations {
  return {
    now: NOW,
    queues: {
      'totes-transform': { visible: 0, oldestAgeSeconds: null },
      'totes-transform-dlq': { visible: 0, oldestAgeSeconds: null },
      'totes-load': { visible: 0, oldestAgeSeconds: null },
      'totes-load-dlq': { visible: 0, oldestAgeSeconds: null },
    },
    failures: { transform: [], load: [] },
    lastSuccessfulExtract: '2026-11-28 11:58:00.000',
    extractRuns: [{ at: '2026-11-28T11:58:00.000Z', unobservable: [] }],
    freshness: { lagSeconds: 0, detail: 'caught up' },
    rowsHeld: { count: 0, detail: 'no row held in the warehouse quarantine' },
    ...overrides,
  };
}

const stateOf = (states: ReturnType<typeof evaluateRules>, id: string) => {
  const found = states.find((s) => s.id === id);
  if (!found) throw new Error(`no alarm ${id}`);
  return found;
};

describe('local alarm evaluation', () => {
  it('evaluates every local definition, all OK on a healthy stack; DLQ alarms have "dlq" in their name', () => {
    const states = evaluateRules(alarms, observations());
    expect(states.map((s) => s.id).sort()).toEqual(
      [
        'extract-heartbeat',
        'extract-source-unobservable',
        'extract-schema-drift',
        'load-dlq-messages-visible',
        'load-queue-oldest-message-age',
        'load-records-failed',
        'load-rows-held',
        'transform-dlq-messages-visible',
        'transform-queue-oldest-message-age',
        'transform-records-failed',
        'warehouse-freshness',
      ].sort(),
    );
    expect(states.filter((s) => s.state !== 'OK')).toEqual([]);
    expect(states.filter((s) => s.kind === 'dlq-depth').every((s) => s.name.includes('dlq'))).toBe(true);
  });

  it('rows held in the quarantine: ALARM from one row, with the count; OK at none; no datapoint keeps it OK', () => {
    const held = (rowsHeld: { count: number | null; detail: string }) =>
      stateOf(evaluateRules(alarms, { ...observations(), rowsHeld }), 'load-rows-held');
    expect(held({ count: 3, detail: '3 rows held' })).toMatchObject({
      state: 'ALARM',
      value: 3,
      runbook: 'rows-held',
    });
    expect(held({ count: 0, detail: 'none' }).state).toBe('OK');
    expect(held({ count: null, detail: 'warehouse not readable' }).state).toBe('OK');
  });

  it('DLQ with one visible message is ALARM with a reason naming the queue', () => {
    const obs = observations();
    const states = evaluateRules(alarms, {
      ...obs,
      queues: { ...obs.queues, 'totes-load-dlq': { visible: 1, oldestAgeSeconds: 5 } },
    });
    const load = stateOf(states, 'load-dlq-messages-visible');
    expect(load).toMatchObject({ state: 'ALARM', value: 1, name: 'totes-load-dlq-messages-visible' });
    expect(load.reason).toContain('totes-load-dlq');
    expect(stateOf(states, 'transform-dlq-messages-visible').state).toBe('OK');
  });

  it('queue age: ALARM only above the threshold (900 s), an empty queue is OK', () => {
    const obs = observations();
    const at = (age: number | null) =>
      stateOf(
        evaluateRules(alarms, {
          ...obs,
          queues: { ...obs.queues, 'totes-transform': { visible: 1, oldestAgeSeconds: age } },
        }),
        'transform-queue-oldest-message-age',
      ).state;
    expect(at(900)).toBe('OK');
    expect(at(901)).toBe('ALARM');
    expect(at(null)).toBe('OK');
  });

  it('records failed: counts only failures within the period (300 s)', () => {
    const recent = new Date(NOW - 60_000).toISOString();
    const old = new Date(NOW - 301_000).toISOString();
    expect(
      stateOf(
        evaluateRules(alarms, observations({ failures: { load: [old], transform: [] } })),
        'load-records-failed',
      ).state,
    ).toBe('OK');
    const states = evaluateRules(
      alarms,
      observations({ failures: { load: [old, recent, recent], transform: [] } }),
    );
    expect(stateOf(states, 'load-records-failed')).toMatchObject({ state: 'ALARM', value: 2 });
    expect(stateOf(states, 'transform-records-failed').state).toBe('OK');
  });

  it('heartbeat: ALARM after 15 minutes without a successful extract, and when none was ever recorded', () => {
    const at = (last: string | null) =>
      stateOf(evaluateRules(alarms, observations({ lastSuccessfulExtract: last })), 'extract-heartbeat');
    expect(at('2026-11-28 11:45:00.000').state).toBe('OK');
    expect(at('2026-11-28 11:44:59.000').state).toBe('ALARM');
    expect(at(null)).toMatchObject({ state: 'ALARM', value: null });
    expect(at(null).reason).toContain('no successful extract');
  });

  it('schema drift: ALARM while a drift was seen in the last 15 minutes, naming table.column', () => {
    const at = (drift: AlarmObservations['schemaDrift']) =>
      stateOf(evaluateRules(alarms, observations({ schemaDrift: drift })), 'extract-schema-drift');
    const drift = {
      at: '2026-11-28 11:55:00.000',
      findings: 1,
      incompatible: 1,
      subjects: ['payment.company_ac_number (incompatible-type)'],
    };
    expect(at(drift)).toMatchObject({ state: 'ALARM', value: 1, runbook: 'schema-drift' });
    expect(at(drift).reason).toContain('payment.company_ac_number');
    expect(at(drift).reason).toContain('1 stopping the extract');
    expect(at({ ...drift, at: '2026-11-28 11:44:59.000' })).toMatchObject({ state: 'OK', value: 0 });
    expect(at(null)).toMatchObject({ state: 'OK', value: null });
  });

  it('freshness: ALARM when the oldest unloaded change is older than 30 minutes', () => {
    const at = (lag: number | null) =>
      stateOf(
        evaluateRules(alarms, observations({ freshness: { lagSeconds: lag, detail: 'x' } })),
        'warehouse-freshness',
      ).state;
    expect(at(1800)).toBe('OK');
    expect(at(1801)).toBe('ALARM');
    expect(at(null)).toBe('OK');
  });

  it('source unobservable: ALARM when a run in the last 15 minutes found a cause, naming it', () => {
    const states = evaluateRules(
      alarms,
      observations({
        extractRuns: [
          { at: '2026-11-28T11:59:00.000Z', unobservable: [] },
          { at: '2026-11-28T11:50:00.000Z', unobservable: ['timezone'] },
          { at: '2026-11-28T11:30:00.000Z', unobservable: ['replica', 'timezone'] },
        ],
      }),
    );
    const alarm = stateOf(states, 'extract-source-unobservable');
    // Maximum over the period: the later clean run does not hide the earlier finding.
    expect(alarm).toMatchObject({ state: 'ALARM', value: 1, runbook: 'source-unobservable' });
    expect(alarm.reason).toContain('timezone');
    expect(alarm.reason).not.toContain('replica'); // older than the period
  });

  it('source unobservable: OK when recent runs found nothing, or when no run recorded it (missing data)', () => {
    expect(stateOf(evaluateRules(alarms, observations()), 'extract-source-unobservable')).toMatchObject({
      state: 'OK',
      value: 0,
    });
    const none = evaluateRules(
      alarms,
      observations({ extractRuns: [{ at: '2026-11-28T11:58:00.000Z', unobservable: null }] }),
    );
    expect(stateOf(none, 'extract-source-unobservable')).toMatchObject({ state: 'OK', value: null });
  });

  it('parses the pipeline timestamps (UTC wall clock) and ISO strings alike', () => {
    expect(parseUtc('2026-11-28 11:00:00.250')).toBe(Date.parse('2026-11-28T11:00:00.250Z'));
    expect(parseUtc('2026-11-28T11:00:00.250Z')).toBe(Date.parse('2026-11-28T11:00:00.250Z'));
    expect(parseUtc('2026-11-28T12:00:00+01:00')).toBe(Date.parse('2026-11-28T11:00:00Z'));
  });
});

describe('webhook state changes', () => {
  const states = evaluateRules(alarms, observations());
  it('first evaluation: only alarms in ALARM are changes (unknown counts as OK)', () => {
    expect(stateChanges({}, states, new Date(NOW))).toEqual([]);
    const alarmed = states.map((s) =>
      s.id === 'load-dlq-messages-visible' ? { ...s, state: 'ALARM' as const } : s,
    );
    const changes = stateChanges({}, alarmed, new Date(NOW));
    expect(changes).toEqual([
      expect.objectContaining({
        alarm: 'totes-load-dlq-messages-visible',
        previousState: 'OK',
        state: 'ALARM',
        runbook: 'RUNBOOK.md#dlq-messages-visible',
        at: '2026-11-28T12:00:00.000Z',
      }),
    ]);
  });
  it('ALARM -> OK is a change, an unchanged state is not', () => {
    const changes = stateChanges(
      { 'totes-load-dlq-messages-visible': 'ALARM', 'totes-extract-heartbeat': 'OK' },
      states,
      new Date(NOW),
    );
    expect(changes.map((c) => [c.alarm, c.previousState, c.state])).toEqual([
      ['totes-load-dlq-messages-visible', 'ALARM', 'OK'],
    ]);
  });
});
