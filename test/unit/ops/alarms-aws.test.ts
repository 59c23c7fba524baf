import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { alarmsCommand } from '../../../services/tools/cli/commands/alarms.ts';
import { CliError, UsageError } from '../../../services/tools/cli/errors.ts';
import { type AlarmState, lastDatapoint } from '../../../services/tools/ops/alarms/index.ts';
import { alarmsFor } from '../../../shared/config/alarms.ts';
import { testClient } from '../../support/mocked-aws.ts';
import { textSink } from '../../support/text-sink.ts';

const cloudwatch = mockClient(CloudWatchClient);
const client = () => testClient(CloudWatchClient);

const deployedAlarm = (name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'): MetricAlarm => ({
  AlarmName: name,
  StateValue: state,
  StateReason:
    state === 'ALARM'
      ? 'Threshold Crossed: 1 datapoint [3.0 (30/11/26 05:00:00)] was greater than the threshold (0.0).'
      : 'Threshold Crossed: no datapoints were received for 1 period.',
  StateReasonData: JSON.stringify({ recentDatapoints: state === 'ALARM' ? [3] : [] }),
  StateUpdatedTimestamp: new Date('2026-11-30T05:00:00.000Z'),
  Threshold: 0,
});

describe('totes alarms --aws (CloudWatch DescribeAlarms)', () => {
  const definitions = alarmsFor('aws', 'acme');

  beforeEach(() => cloudwatch.reset());

  it('asks for the alarms by the names the Terraform gives them, follows NextToken, and exits 1 on ALARM', async () => {
    const names = definitions.map((d) => d.name);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: names.slice(0, 3).map((n, i) => deployedAlarm(n, i === 1 ? 'ALARM' : 'OK')),
        NextToken: 't2',
      })
      .resolvesOnce({ MetricAlarms: names.slice(3).map((n) => deployedAlarm(n, 'OK')) });
    const out = textSink();
    const code = await alarmsCommand({ aws: true, prefix: 'acme' }, out.stream, textSink().stream, client());
    const calls = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({ AlarmNames: names, AlarmTypes: ['MetricAlarm'] });
    expect(calls[1]).toEqual({ AlarmNames: names, AlarmTypes: ['MetricAlarm'], NextToken: 't2' });
    expect(code).toBe(1);
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(definitions.length);
    expect(lines[1]).toMatch(
      new RegExp(
        `^ALARM  ${names[1]} +Threshold Crossed: 1 datapoint .* \\(since 2026-11-30T05:00:00.000Z\\)  \\(RUNBOOK.md#`,
      ),
    );
    expect(lines[0]).toMatch(new RegExp(`^OK     ${names[0]} `));
  });

  it('prints the same JSON rows as locally; an alarm not deployed is INSUFFICIENT_DATA; exit 0 without ALARM', async () => {
    const names = definitions.map((d) => d.name);
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: names.slice(1).map((n, i) => deployedAlarm(n, i === 0 ? 'INSUFFICIENT_DATA' : 'OK')),
    });
    const out = textSink();
    const code = await alarmsCommand(
      { aws: true, prefix: 'acme', json: true },
      out.stream,
      textSink().stream,
      client(),
    );
    expect(code).toBe(0);
    const states = JSON.parse(out.text()) as AlarmState[];
    expect(states.map((s) => s.name)).toEqual(names);
    expect(states[0]).toMatchObject({
      id: definitions[0]?.id,
      state: 'INSUFFICIENT_DATA',
      reason: expect.stringMatching(/not found in CloudWatch/),
      value: null,
      threshold: definitions[0]?.threshold,
      runbook: definitions[0]?.runbook,
    });
    expect(states[1]?.state).toBe('INSUFFICIENT_DATA');
    expect(states[2]).toMatchObject({
      state: 'OK',
      kind: definitions[2]?.kind,
      stage: definitions[2]?.stage,
    });
  });

  it('exit 2 when no alarm of the prefix exists; no --webhook on AWS', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    const attempt = alarmsCommand(
      { aws: true, prefix: 'nope' },
      textSink().stream,
      textSink().stream,
      client(),
    );
    await expect(attempt).rejects.toThrow(CliError);
    await expect(
      alarmsCommand({ aws: true, prefix: 'nope' }, textSink().stream, textSink().stream, client()),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/no CloudWatch alarm named nope-\*/),
    });
    await expect(
      alarmsCommand(
        { aws: true, webhook: 'http://127.0.0.1:1/' },
        textSink().stream,
        textSink().stream,
        client(),
      ),
    ).rejects.toThrow(UsageError);
  });

  it('reads the compared datapoint from StateReasonData', () => {
    expect(lastDatapoint(JSON.stringify({ recentDatapoints: [1, 4] }))).toBe(4);
    expect(lastDatapoint(JSON.stringify({ recentDatapoints: [] }))).toBeNull();
    expect(lastDatapoint('not json')).toBeNull();
    expect(lastDatapoint(undefined)).toBeNull();
  });
});
