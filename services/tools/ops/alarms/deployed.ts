/**
 * The deployed CloudWatch alarms of a deployment (`totes alarms --aws`): DescribeAlarms for the
 * names infra-terraform/alarms.tf gives the definitions of shared/config/alarms.json
 * (`<prefix>-<id>`), every page, as the same AlarmState rows the local evaluation prints.
 */
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { alarmsFor } from '../../../../shared/config/alarms.ts';
import type { AlarmState, AlarmStateValue } from './rules.ts';

export class NoDeployedAlarmsError extends Error {
  override name = 'NoDeployedAlarmsError';
}

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** The newest datapoint CloudWatch compared with the threshold, from StateReasonData. */
export function lastDatapoint(stateReasonData: string | undefined): number | null {
  if (!stateReasonData) return null;
  try {
    const data = JSON.parse(stateReasonData) as { recentDatapoints?: unknown };
    const points = Array.isArray(data.recentDatapoints) ? data.recentDatapoints : [];
    const last = points.at(-1);
    return typeof last === 'number' ? last : null;
  } catch {
    return null;
  }
}

async function describeAll(cloudwatch: CloudWatchClient, names: readonly string[]): Promise<MetricAlarm[]> {
  const found: MetricAlarm[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const page = await cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + NAMES_PER_CALL),
          AlarmTypes: ['MetricAlarm'],
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      found.push(...(page.MetricAlarms ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return found;
}

export async function describeDeployedAlarms(
  cloudwatch: CloudWatchClient,
  prefix: string,
): Promise<AlarmState[]> {
  const definitions = alarmsFor('aws', prefix);
  const deployed = new Map(
    (
      await describeAll(
        cloudwatch,
        definitions.map((d) => d.name),
      )
    ).map((a) => [a.AlarmName, a]),
  );
  if (deployed.size === 0) {
    throw new NoDeployedAlarmsError(
      `no CloudWatch alarm named ${prefix}-* of shared/config/alarms.json in this account and region (wrong --prefix or AWS_REGION?)`,
    );
  }
  return definitions.map((definition) => {
    const alarm = deployed.get(definition.name);
    const common = {
      name: definition.name,
      id: definition.id,
      kind: definition.kind,
      stage: definition.stage,
      runbook: definition.runbook,
    };
    if (!alarm) {
      return {
        ...common,
        state: 'INSUFFICIENT_DATA' as const,
        reason: 'not found in CloudWatch (not deployed yet with this prefix?)',
        value: null,
        threshold: definition.threshold,
      };
    }
    const state: AlarmStateValue =
      alarm.StateValue === 'ALARM' ? 'ALARM' : alarm.StateValue === 'OK' ? 'OK' : 'INSUFFICIENT_DATA';
    const since = alarm.StateUpdatedTimestamp ? ` (since ${alarm.StateUpdatedTimestamp.toISOString()})` : '';
    return {
      ...common,
      state,
      reason: `${alarm.StateReason ?? 'no reason given'}${since}`,
      value: lastDatapoint(alarm.StateReasonData),
      threshold: alarm.Threshold ?? definition.threshold,
    };
  });
}
