import {
  type AlarmDefinition,
  AlarmDefinitionError,
  alarmsFor,
  breaches,
  loadAlarmDefinitions,
  parseAlarmDefinitions,
  resolveAlarm,
} from '../../../shared/config/alarms.ts';
import { pipelineResources } from '../../../shared/config/resources.ts';

const definitions = loadAlarmDefinitions();
const valid = definitions[0]!;

describe('shared/config/alarms.json', () => {
  test('parses, with unique ids and a runbook anchor for every alarm', () => {
    expect(definitions.length).toBeGreaterThanOrEqual(10);
    expect(new Set(definitions.map((a) => a.id)).size).toBe(definitions.length);
    for (const alarm of definitions) expect(alarm.runbook).toMatch(/^[a-z0-9-]+$/);
  });

  test('the local stack evaluates the alarm kinds of the on-call issue and issue 13, DLQ alarms named "dlq"', () => {
    const local = alarmsFor('local', 'totes', definitions);
    expect(new Set(local.map((a) => a.kind))).toEqual(
      new Set([
        'dlq-depth',
        'queue-age',
        'records-failed',
        'heartbeat',
        'freshness',
        'schema-drift',
        'source-unobservable',
        'rows-held',
      ]),
    );
    const resources = pipelineResources('totes', 'local');
    for (const consumer of ['transform', 'load'] as const) {
      const dlqAlarm = local.find(
        (a) => a.kind === 'dlq-depth' && a.metric.dimensions.QueueName === resources.queues[consumer].dlqName,
      );
      expect(dlqAlarm?.name).toContain('dlq');
      const ageAlarm = local.find(
        (a) => a.kind === 'queue-age' && a.metric.dimensions.QueueName === resources.queues[consumer].name,
      );
      expect(ageAlarm).toBeDefined();
    }
  });

  test('heartbeat covers 15 minutes and freshness the 30-minute promise', () => {
    const heartbeat = definitions.find((a) => a.kind === 'heartbeat')!;
    expect(heartbeat.periodSeconds * heartbeat.evaluationPeriods).toBe(15 * 60);
    expect(heartbeat.treatMissingData).toBe('breaching');
    expect(breaches(heartbeat, 0)).toBe(true);
    expect(breaches(heartbeat, 1)).toBe(false);
    const freshness = definitions.find((a) => a.kind === 'freshness')!;
    expect(breaches(freshness, 1800)).toBe(false);
    expect(breaches(freshness, 1801)).toBe(true);
  });

  test('source-unobservable pages on any cause the extract reports (metric SourceUnobservable by service)', () => {
    const alarm = definitions.find((a) => a.kind === 'source-unobservable')!;
    expect(alarm.environments).toEqual(['aws', 'local']);
    expect(alarm.metric).toEqual({
      namespace: 'TotesPipeline',
      name: 'SourceUnobservable',
      dimensions: { service: '{prefix}-extract' },
    });
    expect(breaches(alarm, 0)).toBe(false);
    expect(breaches(alarm, 1)).toBe(true);
  });
});

describe('alarms.ts', () => {
  test('resolveAlarm substitutes the prefix in dimensions and names the alarm <prefix>-<id>', () => {
    const alarm: AlarmDefinition = {
      ...valid,
      id: 'x-dlq-depth',
      metric: {
        namespace: 'AWS/SQS',
        name: 'M',
        dimensions: { QueueName: '{prefix}-x-dlq', Other: 'fixed' },
      },
    };
    const resolved = resolveAlarm(alarm, 'acme');
    expect(resolved.name).toBe('acme-x-dlq-depth');
    expect(resolved.metric.dimensions).toEqual({ QueueName: 'acme-x-dlq', Other: 'fixed' });
    expect(alarm.metric.dimensions.QueueName).toBe('{prefix}-x-dlq');
  });

  test('alarmsFor filters by environment', () => {
    const aws = alarmsFor('aws', 'totes', definitions);
    const local = alarmsFor('local', 'totes', definitions);
    expect(aws.some((a) => a.kind === 'lambda-errors')).toBe(true);
    expect(local.some((a) => a.kind === 'lambda-errors')).toBe(false);
    expect(local.length).toBeLessThan(aws.length);
  });

  test('breaches follows each CloudWatch comparison', () => {
    expect(breaches({ comparison: 'GreaterThanThreshold', threshold: 0 }, 0)).toBe(false);
    expect(breaches({ comparison: 'GreaterThanThreshold', threshold: 0 }, 1)).toBe(true);
    expect(breaches({ comparison: 'GreaterThanOrEqualToThreshold', threshold: 2 }, 2)).toBe(true);
    expect(breaches({ comparison: 'LessThanThreshold', threshold: 1 }, 1)).toBe(false);
    expect(breaches({ comparison: 'LessThanOrEqualToThreshold', threshold: 1 }, 1)).toBe(true);
  });

  test.each([
    ['not a list', {}, /must be a JSON list/],
    ['unknown kind', [{ ...valid, kind: 'bogus' }], /kind must be one of/],
    ['dlq alarm without "dlq" in its id', [{ ...valid, id: 'transform-depth' }], /must contain "dlq"/],
    ['duplicate id', [valid, valid], /defined twice/],
    ['period not a minute multiple', [{ ...valid, periodSeconds: 90 }], /multiple of 60/],
    ['datapoints above periods', [{ ...valid, datapointsToAlarm: 2 }], /exceeds evaluationPeriods/],
    ['unknown environment', [{ ...valid, environments: ['prod'] }], /environments\[0\]/],
    ['bad comparison', [{ ...valid, comparison: 'Above' }], /comparison must be one of/],
    ['missing threshold', [{ ...valid, threshold: 'zero' }], /threshold must be a number/],
  ])('rejects %s', (_label, json, message) => {
    expect(() => parseAlarmDefinitions(json)).toThrow(AlarmDefinitionError);
    expect(() => parseAlarmDefinitions(json)).toThrow(message);
  });
});
