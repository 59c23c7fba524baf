import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { scheduleCommand } from '../../../services/tools/cli/commands/schedule.ts';
import { CliError, UsageError } from '../../../services/tools/cli/errors.ts';
import {
  readScheduleState,
  schedulePausedCheck,
  writeScheduleState,
} from '../../../services/tools/local-runtime/schedule-control.ts';
import { testClient } from '../../support/mocked-aws.ts';
import { textSink } from '../../support/text-sink.ts';

const events = mockClient(EventBridgeClient);
const client = () => testClient(EventBridgeClient);

describe('totes schedule --aws (EventBridge)', () => {
  beforeEach(() => events.reset());

  it('pauses with DisableRule on the rule the Terraform names, then reports DescribeRule', async () => {
    events.on(DisableRuleCommand).resolves({});
    events
      .on(DescribeRuleCommand)
      .resolves({ Name: 'acme-extract-schedule', State: 'DISABLED', ScheduleExpression: 'rate(5 minutes)' });
    const out = textSink();
    const status = await scheduleCommand('pause', { aws: true, prefix: 'acme' }, out.stream, client());
    expect(events.commandCalls(DisableRuleCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'acme-extract-schedule' },
    ]);
    expect(events.commandCalls(DescribeRuleCommand)[0]?.args[0].input).toEqual({
      Name: 'acme-extract-schedule',
    });
    expect(events.commandCalls(EnableRuleCommand)).toHaveLength(0);
    expect(status).toMatchObject({ target: 'aws', state: 'PAUSED', expression: 'rate(5 minutes)' });
    expect(out.text()).toBe(
      'schedule acme-extract-schedule: PAUSED (rule disabled (rate(5 minutes))): no scheduled extract runs\n',
    );
  });

  it('resumes with EnableRule, and status only describes', async () => {
    events.on(EnableRuleCommand).resolves({});
    events.on(DescribeRuleCommand).resolves({ State: 'ENABLED', ScheduleExpression: 'rate(5 minutes)' });
    const out = textSink();
    await scheduleCommand('resume', { aws: true }, out.stream, client());
    expect(events.commandCalls(EnableRuleCommand)[0]?.args[0].input).toEqual({
      Name: 'totes-extract-schedule',
    });
    events.resetHistory();
    const status = await scheduleCommand('status', { aws: true, json: true }, out.stream, client());
    expect(events.commandCalls(EnableRuleCommand)).toHaveLength(0);
    expect(events.commandCalls(DisableRuleCommand)).toHaveLength(0);
    expect(status.state).toBe('ENABLED');
    expect(JSON.parse(out.text().trim().split('\n').at(-1)!)).toMatchObject({
      state: 'ENABLED',
      name: 'totes-extract-schedule',
    });
  });

  it('names the prefix and region when the rule does not exist (exit 2)', async () => {
    events
      .on(DescribeRuleCommand)
      .rejects(new ResourceNotFoundException({ message: 'Rule x does not exist.', $metadata: {} }));
    const attempt = scheduleCommand('status', { aws: true, prefix: 'nope' }, textSink().stream, client());
    await expect(attempt).rejects.toThrow(CliError);
    await expect(
      scheduleCommand('status', { aws: true, prefix: 'nope' }, textSink().stream, client()),
    ).rejects.toThrow(/no EventBridge rule named nope-extract-schedule .*wrong --prefix or AWS_REGION/);
  });

  it('refuses --aws with --state-dir, and a malformed prefix', async () => {
    await expect(
      scheduleCommand('status', { aws: true, stateDir: '/tmp/x' }, textSink().stream, client()),
    ).rejects.toThrow(UsageError);
    await expect(
      scheduleCommand('status', { aws: true, prefix: 'Bad_Prefix' }, textSink().stream, client()),
    ).rejects.toThrow(/--prefix: "Bad_Prefix" is not a deployment prefix/);
  });
});

describe('the local schedule record', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-schedule-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('is running when absent, and pause / resume write it 0600', async () => {
    expect(readScheduleState(stateDir)).toEqual({ paused: false, changedAt: null });
    const out = textSink();
    const paused = await scheduleCommand('pause', { stateDir }, out.stream);
    expect(paused).toMatchObject({ target: 'local', state: 'PAUSED', runtimeRunning: false });
    const file = path.join(stateDir, 'schedule.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ paused: true });
    expect(schedulePausedCheck(stateDir)()).toBe(true);
    expect(out.text()).toMatch(/^local schedule: PAUSED since \d{4}-.*: no scheduled extract runs/);

    const resumed = await scheduleCommand('resume', { stateDir }, out.stream);
    expect(resumed.state).toBe('ENABLED');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(schedulePausedCheck(stateDir)()).toBe(false);
  });

  it('counts an unreadable record as paused for the schedule, and as a one-line error for the command', async () => {
    writeFileSync(path.join(stateDir, 'schedule.json'), '{"paused": tru');
    expect(schedulePausedCheck(stateDir)()).toBe(true);
    await expect(scheduleCommand('status', { stateDir }, textSink().stream)).rejects.toThrow(
      /schedule.json is not valid JSON/,
    );
    writeScheduleState(stateDir, false);
    expect(readScheduleState(stateDir).paused).toBe(false);
  });
});
