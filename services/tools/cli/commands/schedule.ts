import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Command } from 'commander';
import { ScheduleStateError } from '../../local-runtime/schedule-control.ts';
import {
  awsSchedule,
  localSchedule,
  renderScheduleStatus,
  type ScheduleControl,
  ScheduleNotFoundError,
  type ScheduleStatus,
} from '../../ops/schedule/index.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CliError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  checkAwsOrStateDir,
  resolvePrefix,
  resolveStateDir,
} from '../options.ts';

/**
 * `totes schedule pause | resume | status`: stop and restart the scheduled extracts, on AWS
 * (EventBridge DisableRule / EnableRule / DescribeRule) or on the local stack (the state folder's
 * schedule record, which the running stack reads before each tick). Transform and load keep
 * consuming their queues: a pause stops new work from entering, not the work already in flight.
 */

export interface ScheduleOptions extends AwsOptions {
  readonly json?: boolean;
}

export type ScheduleAction = 'status' | 'pause' | 'resume';

export function scheduleControl(options: ScheduleOptions, events?: EventBridgeClient): ScheduleControl {
  checkAwsOrStateDir(options);
  if (options.aws) return awsSchedule(events ?? new EventBridgeClient({}), resolvePrefix(options));
  return localSchedule(resolveStateDir(options));
}

export async function scheduleCommand(
  action: ScheduleAction,
  options: ScheduleOptions,
  out: NodeJS.WritableStream = process.stdout,
  events?: EventBridgeClient,
): Promise<ScheduleStatus> {
  const control = scheduleControl(options, events);
  try {
    const status = await withAwsErrors(() => control[action]());
    out.write(options.json ? `${JSON.stringify(status)}\n` : `${renderScheduleStatus(status)}\n`);
    return status;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError || error instanceof ScheduleStateError) {
      throw new CliError(error.message, { exitCode: 2, cause: error });
    }
    throw error;
  }
}

export function register(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(
      'pause, resume or show the extract schedule (local stack, or the EventBridge rule with --aws); transform and load keep draining their queues',
    );
  const actions: Record<ScheduleAction, string> = {
    status: 'whether scheduled extracts run (exit 0 either way)',
    pause: 'stop scheduled extracts: locally the running stack skips its ticks; on AWS DisableRule',
    resume: 'start scheduled extracts again: locally the next tick runs; on AWS EnableRule',
  };
  for (const [action, description] of Object.entries(actions) as [ScheduleAction, string][]) {
    addAwsOptions(schedule.command(action).description(description))
      .option('--json', 'print one JSON object {target, name, state: ENABLED|PAUSED, expression, changedAt}')
      .action(async (options: ScheduleOptions) => {
        await scheduleCommand(action, options);
      });
  }
}
