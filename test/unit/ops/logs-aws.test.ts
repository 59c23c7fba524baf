import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { logsCommand } from '../../../services/tools/cli/commands/logs.ts';
import { CliError, UsageError } from '../../../services/tools/cli/errors.ts';
import { type LogEvent, readAwsLogs } from '../../../services/tools/ops/logs/index.ts';
import { testClient } from '../../support/mocked-aws.ts';
import { textSink } from '../../support/text-sink.ts';

const logs = mockClient(CloudWatchLogsClient);
/** Recent enough for the default --since (1h). */
const T = Date.now() - 60_000;
const client = () => testClient(CloudWatchLogsClient);

const line = (message: string, extra: object = {}) =>
  JSON.stringify({ level: 'INFO', message, timestamp: undefined, service: 'totes-load', ...extra });

describe('totes logs --aws (CloudWatch Logs)', () => {
  beforeEach(() => logs.reset());

  it('reads every page of each stage group from --since, in time order, one line per event', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/acme-load' })
      .resolvesOnce({
        events: [{ eventId: 'l1', timestamp: T + 3000, message: line('unit loaded', { runId: 'r1' }) }],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        events: [{ eventId: 'l2', timestamp: T + 4000, message: 'REPORT RequestId: x Duration: 5 ms' }],
      });
    logs.on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/acme-extract' }).resolves({
      events: [
        {
          eventId: 'e1',
          timestamp: T + 1000,
          message: line('unit written', { runId: 'r1', service: 'acme-extract' }),
        },
      ],
    });
    // EMF blobs are not log lines.
    logs.on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/acme-transform' }).resolves({
      events: [
        { eventId: 't1', timestamp: T + 2000, message: JSON.stringify({ _aws: {}, RowsTransformed: 3 }) },
      ],
    });

    const out = textSink();
    await logsCommand(
      undefined,
      { aws: true, prefix: 'acme', since: '2h' },
      { out: out.stream, logs: client() },
    );
    const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.logGroupName)).toEqual([
      '/aws/lambda/acme-extract',
      '/aws/lambda/acme-transform',
      '/aws/lambda/acme-load',
      '/aws/lambda/acme-load',
    ]);
    expect(calls[3]?.nextToken).toBe('page-2');
    expect(calls[0]?.filterPattern).toBeUndefined();
    // --since 2h: the start time is two hours back from when the command ran.
    expect(Math.abs((calls[0]?.startTime ?? 0) - (Date.now() - 7_200_000))).toBeLessThan(600_000);
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(3);
    const at = (ms: number) => new Date(T + ms).toISOString();
    expect(lines[0]).toBe(`${at(1000)} INFO  extract   r1 unit written`);
    expect(lines[1]).toBe(`${at(3000)} INFO  load      r1 unit loaded`);
    expect(lines[2]).toMatch(new RegExp(`^${at(4000)} -     load      - REPORT RequestId`));
  });

  it('passes --run as a JSON filter pattern, --level filters, --json prints one array', async () => {
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { eventId: 'a', timestamp: T + 1, message: line('fine', { runId: 'r9' }) },
        { eventId: 'b', timestamp: T + 2, message: line('broken', { runId: 'r9', level: 'ERROR' }) },
      ],
    });
    const out = textSink();
    await logsCommand(
      'load',
      { aws: true, run: 'r9', level: 'warn', json: true, since: '1h' },
      { out: out.stream, logs: client() },
    );
    const calls = logs.commandCalls(FilterLogEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      logGroupName: '/aws/lambda/totes-load',
      filterPattern: '{ $.runId = "r9" }',
    });
    const parsed = JSON.parse(out.text()) as LogEvent[];
    expect(parsed.map((e) => e.message)).toEqual(['broken']);
  });

  it('follows by polling from the newest event seen, without repeating it, until aborted', async () => {
    const controller = new AbortController();
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ eventId: 'a', timestamp: T + 100, message: line('one') }] })
      .resolvesOnce({
        events: [
          { eventId: 'a', timestamp: T + 100, message: line('one') },
          { eventId: 'b', timestamp: T + 100, message: line('two, same millisecond') },
          { eventId: 'c', timestamp: T + 200, message: line('three') },
        ],
      })
      .callsFake(() => {
        controller.abort();
        return { events: [] };
      });
    const seen: string[] = [];
    await readAwsLogs(client(), 'totes', {
      filter: { stage: 'load', sinceMs: T + 50 },
      follow: true,
      pollMs: 100,
      signal: controller.signal,
      onEvent: (e) => seen.push(e.message),
    });
    expect(seen).toEqual(['one', 'two, same millisecond', 'three']);
    const starts = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime);
    expect(starts).toEqual([T + 50, T + 100, T + 200]);
  });

  it('follows in JSON lines', async () => {
    const controller = new AbortController();
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [
          { eventId: 'a', timestamp: T + 1, message: line('one') },
          { eventId: 'b', timestamp: T + 2, message: line('two') },
        ],
      })
      .callsFake(() => {
        controller.abort();
        return { events: [] };
      });
    const out = textSink();
    await logsCommand(
      'load',
      { aws: true, follow: true, json: true, pollMs: 100 },
      { out: out.stream, logs: client(), signal: controller.signal },
    );
    const lines = out.text().trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as LogEvent).message)).toEqual(['one', 'two']);
  });

  it('says which log groups are missing (exit 2), and skips a missing one among several', async () => {
    logs
      .on(FilterLogEventsCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      );
    const attempt = logsCommand(
      'load',
      { aws: true, prefix: 'nope' },
      { out: textSink().stream, logs: client() },
    );
    await expect(attempt).rejects.toThrow(CliError);
    await expect(
      logsCommand(undefined, { aws: true, prefix: 'nope' }, { out: textSink().stream, logs: client() }),
    ).rejects.toThrow(
      /no log group \/aws\/lambda\/nope-extract, \/aws\/lambda\/nope-transform, \/aws\/lambda\/nope-load/,
    );
    logs.reset();
    logs
      .on(FilterLogEventsCommand)
      .resolves({ events: [{ eventId: 'x', timestamp: T + 5, message: line('kept') }] });
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/aws/lambda/totes-extract' })
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    const out = textSink();
    await logsCommand(undefined, { aws: true, since: '1h' }, { out: out.stream, logs: client() });
    expect(out.text().trim().split('\n')).toHaveLength(2);
  });

  it('refuses an unknown stage, a bad --since and a bad --level', async () => {
    await expect(
      logsCommand('loader', { aws: true }, { out: textSink().stream, logs: client() }),
    ).rejects.toThrow(UsageError);
    await expect(
      logsCommand(undefined, { aws: true, since: 'soon' }, { out: textSink().stream, logs: client() }),
    ).rejects.toThrow(/--since/);
    await expect(
      logsCommand(undefined, { aws: true, level: 'loud' }, { out: textSink().stream, logs: client() }),
    ).rejects.toThrow(/--level/);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });
});
