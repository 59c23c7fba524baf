import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import {
  describeDeployedAlarms,
  evaluateAlarms,
  NoDeployedAlarmsError,
  notifyChanges,
  renderAlarms,
  WebhookError,
} from '../../ops/alarms/index.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addSourceUrlOption,
  addWarehouseUrlOption,
  checkAwsOrStateDir,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type WarehouseUrlOption,
} from '../options.ts';

export interface AlarmsOptions extends SourceUrlOption, WarehouseUrlOption, AwsOptions {
  readonly json?: boolean;
  readonly webhook?: string;
}

/**
 * The alarms' states: evaluated against the local stack, or (`--aws`) the deployed CloudWatch
 * alarms as DescribeAlarms reports them. Exit code 0 when none is in ALARM, 1 otherwise.
 */
export async function alarmsCommand(
  options: AlarmsOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  cloudwatch?: CloudWatchClient,
): Promise<number> {
  checkAwsOrStateDir(options);
  if (options.aws) {
    if (options.webhook !== undefined) {
      throw new UsageError('--webhook is for the local stack: on AWS the alarms notify their SNS topic');
    }
    const client = cloudwatch ?? new CloudWatchClient({});
    try {
      const states = await withAwsErrors(() => describeDeployedAlarms(client, resolvePrefix(options))).catch(
        (error: unknown) => {
          if (error instanceof NoDeployedAlarmsError) throw new CliError(error.message, { exitCode: 2 });
          throw error;
        },
      );
      out.write(options.json ? `${JSON.stringify(states)}\n` : `${renderAlarms(states)}\n`);
      return states.some((s) => s.state === 'ALARM') ? 1 : 0;
    } finally {
      if (!cloudwatch) client.destroy();
    }
  }
  if (options.webhook !== undefined) {
    try {
      new URL(options.webhook);
    } catch {
      throw new UsageError(`--webhook: not a URL: ${options.webhook}`);
    }
  }
  const stateDir = resolveStateDir(options);
  const stack = await attachLocalStack({
    stateDir,
    sourceUrl: optionalSourceUrl(options),
    warehouseUrl: optionalWarehouseUrl(options),
  });
  try {
    const states = await evaluateAlarms(stack);
    out.write(options.json ? `${JSON.stringify(states)}\n` : `${renderAlarms(states)}\n`);
    if (options.webhook) {
      try {
        const { posted } = await notifyChanges(states, { stateDir, url: options.webhook });
        if (posted.length > 0) err.write(`posted ${posted.length} state change(s) to the webhook\n`);
      } catch (error) {
        if (error instanceof WebhookError) throw new CliError(error.message, { cause: error });
        throw error;
      }
    }
    return states.some((s) => s.state === 'ALARM') ? 1 : 0;
  } finally {
    await stack.detach();
  }
}

export function register(program: Command): void {
  const command = program
    .command('alarms')
    .description(
      'the alarms of shared/config/alarms.json: evaluated against the local stack (DLQ depth, queue age, failed records, extract heartbeat, warehouse freshness), or with --aws the deployed CloudWatch alarms (state and reason); exit 1 if any is in ALARM',
    );
  addAwsOptions(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option(
      '--json',
      'print a JSON array of {name, state: OK|ALARM|INSUFFICIENT_DATA (AWS only), reason, value, threshold, runbook, ...}',
    )
    .option(
      '--webhook <url>',
      'POST each state change (JSON) to this URL; states are remembered in the state folder',
    )
    .action(async (options: AlarmsOptions) => {
      const code = await alarmsCommand(options);
      if (code !== 0)
        throw new CliError('some alarms are in ALARM (see above and RUNBOOK.md)', { exitCode: code });
    });
}
