import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type LogEvent,
  matches,
  parseLevel,
  parseSince,
  readLocalLogs,
  renderLogEvent,
  splitEntries,
  toLogEvent,
} from '../../../services/tools/ops/logs/index.ts';

const pretty = (o: object) => JSON.stringify(o, null, 4);
const entry = (extra: object) => ({
  level: 'INFO',
  message: 'unit loaded',
  timestamp: '2026-11-30T05:29:55.410Z',
  service: 'totes-load',
  ...extra,
});

describe('splitting a log stream', () => {
  it('reads indented (POWERTOOLS_DEV) and one-line JSON entries, text lines between, braces in strings', () => {
    const text = [
      pretty(entry({ note: 'a } and a { in a string, and an escaped " quote' })),
      JSON.stringify(entry({ level: 'ERROR', message: 'x' })),
      'plain text from somewhere',
      pretty({ _aws: { CloudWatchMetrics: [] }, RecordsFailed: 1 }),
      '',
    ].join('\n');
    const { entries, rest } = splitEntries(text);
    expect(rest).toBe('');
    expect(entries).toHaveLength(4);
    const events = entries.map((e) => toLogEvent(e));
    expect(events[0]).toMatchObject({ level: 'INFO', stage: 'load', message: 'unit loaded' });
    expect(events[0]?.fields?.note).toBe('a } and a { in a string, and an escaped " quote');
    expect(events[1]).toMatchObject({ level: 'ERROR', message: 'x' });
    expect(events[2]).toMatchObject({ level: null, message: 'plain text from somewhere', fields: null });
    // EMF metric blobs are metrics, not log lines.
    expect(events[3]).toBeNull();
  });

  it('keeps an entry still being written for the next read, and gives it up only at the end', () => {
    const whole = pretty(entry({ runId: 'r1' }));
    const first = splitEntries(`${whole}\n${whole.slice(0, 40)}`);
    expect(first.entries).toHaveLength(1);
    expect(first.rest).toBe(whole.slice(0, 40));
    const second = splitEntries(`${first.rest}${whole.slice(40)}\n`);
    expect(second.entries).toEqual([whole]);
    expect(splitEntries('{"never": "closed"', true).entries).toEqual(['{"never": "closed"']);
    expect(splitEntries('half a line').rest).toBe('half a line');
  });

  it('reads CloudWatch messages behind the Lambda text prefix, with the group stage and time as fallbacks', () => {
    const event = toLogEvent(
      `2026-11-30T05:00:00.000Z\tabc\tINFO\t${JSON.stringify({ level: 'WARN', message: 'late' })}`,
      {
        stage: 'extract',
        time: '2026-11-30T05:00:00.000Z',
      },
    );
    expect(event).toMatchObject({
      level: 'WARN',
      stage: 'extract',
      time: '2026-11-30T05:00:00.000Z',
      message: 'late',
    });
    expect(toLogEvent('START RequestId: abc Version: $LATEST', { stage: 'load' })).toMatchObject({
      stage: 'load',
      level: null,
    });
  });
});

describe('filtering and rendering', () => {
  const event = (extra: Partial<LogEvent>): LogEvent => ({
    time: '2026-11-30T05:00:00.000Z',
    level: 'INFO',
    stage: 'load',
    runId: 'r1',
    message: 'm',
    fields: null,
    ...extra,
  });

  it('filters by stage, time, run and lowest level; text lines only pass an unfiltered look', () => {
    expect(matches(event({}), { stage: 'load', runId: 'r1', level: 'INFO' })).toBe(true);
    expect(matches(event({}), { stage: 'transform' })).toBe(false);
    expect(matches(event({}), { runId: 'r2' })).toBe(false);
    expect(matches(event({}), { level: 'WARN' })).toBe(false);
    expect(matches(event({ level: 'ERROR' }), { level: 'WARN' })).toBe(true);
    expect(matches(event({ level: 'CRITICAL' }), { level: 'ERROR' })).toBe(true);
    expect(matches(event({}), { sinceMs: Date.parse('2026-11-30T05:00:00.001Z') })).toBe(false);
    expect(matches(event({ level: null, runId: null }), {})).toBe(true);
    expect(matches(event({ level: null }), { level: 'DEBUG' })).toBe(false);
    expect(parseLevel('warning')).toBe('WARN');
    expect(parseLevel('loud')).toBeUndefined();
  });

  it('parses --since as a duration back from now or an ISO time', () => {
    const now = Date.parse('2026-11-30T06:00:00.000Z');
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('15m', now)).toBe(now - 900_000);
    expect(parseSince('90', now)).toBe(now - 90_000);
    expect(parseSince('2d', now)).toBe(now - 172_800_000);
    expect(parseSince('2026-11-30T05:00:00Z', now)).toBe(Date.parse('2026-11-30T05:00:00Z'));
    expect(parseSince('2026-11-30 05:00:00', now)).toBe(Date.parse('2026-11-30T05:00:00Z'));
    expect(parseSince('yesterday', now)).toBeUndefined();
  });

  it('renders one line per event, the other fields compact at the end', () => {
    const line = renderLogEvent(
      toLogEvent(
        pretty(entry({ runId: 'r1', stage: 'load', unitId: 'u1', function_request_id: 'x' })),
      ) as LogEvent,
    );
    expect(line).toBe('2026-11-30T05:29:55.410Z INFO  load      r1 unit loaded {"unitId":"u1"}');
    expect(line).not.toContain('\n');
  });
});

describe('the local log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'totes-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file, and following picks up appended entries until aborted', async () => {
    const file = path.join(dir, 'pipeline.log');
    writeFileSync(file, `${pretty(entry({ runId: 'r1' }))}\n`);
    const seen: LogEvent[] = [];
    await readLocalLogs(file, { filter: {}, follow: false, onEvent: (e) => seen.push(e) });
    expect(seen.map((e) => e.runId)).toEqual(['r1']);

    const followed: LogEvent[] = [];
    const controller = new AbortController();
    const whole = pretty(entry({ runId: 'r2', level: 'ERROR' }));
    const done = readLocalLogs(file, {
      filter: { level: 'ERROR' },
      follow: true,
      pollMs: 100,
      signal: controller.signal,
      onEvent: (e) => {
        followed.push(e);
        // The second entry arrives in two writes; it is shown once, whole.
        if (e.runId === 'r2') {
          appendFileSync(file, `${pretty(entry({ runId: 'r3', level: 'ERROR' }))}\n`);
        }
        if (e.runId === 'r3') controller.abort();
      },
    });
    appendFileSync(file, whole.slice(0, 30));
    appendFileSync(file, `${whole.slice(30)}\n`);
    await done;
    expect(followed.map((e) => e.runId)).toEqual(['r2', 'r3']);
  });

  it('says when there is no log file', async () => {
    await expect(
      readLocalLogs(path.join(dir, 'none.log'), { filter: {}, follow: false, onEvent: () => {} }),
    ).rejects.toThrow(/no log file .*none.log/);
  });
});
