import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  type EventBridgeClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { extractScheduleRuleName } from '../../../../shared/config/resources.ts';
import { type ScheduleControl, ScheduleNotFoundError, type ScheduleStatus } from './types.ts';

/**
 * The deployed schedule: the EventBridge rule infra-terraform/eventbridge.tf creates
 * (`<prefix>-extract-schedule`). Disabling a rule keeps its target and retry policy, so resuming
 * is EnableRule and nothing else; events not fired while disabled are not replayed (the next
 * extract reads everything since the watermark anyway).
 */
export function awsSchedule(events: EventBridgeClient, prefix: string): ScheduleControl {
  const name = extractScheduleRuleName(prefix);
  const notFound = (error: unknown): never => {
    if (
      error instanceof ResourceNotFoundException ||
      (error as { name?: string }).name === 'ResourceNotFoundException'
    ) {
      throw new ScheduleNotFoundError(
        `no EventBridge rule named ${name} in this account and region (wrong --prefix or AWS_REGION?)`,
      );
    }
    throw error;
  };
  const status = async (): Promise<ScheduleStatus> => {
    const rule = await events.send(new DescribeRuleCommand({ Name: name })).catch(notFound);
    return {
      target: 'aws',
      name,
      state: rule.State === 'DISABLED' ? 'PAUSED' : 'ENABLED',
      expression: rule.ScheduleExpression ?? null,
      changedAt: null,
      runtimeRunning: null,
    };
  };
  return {
    status,
    async pause() {
      await events.send(new DisableRuleCommand({ Name: name })).catch(notFound);
      return status();
    },
    async resume() {
      await events.send(new EnableRuleCommand({ Name: name })).catch(notFound);
      return status();
    },
  };
}
