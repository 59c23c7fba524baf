import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import {
  describeDeployedAlarms,
  evaluateAlarms,
  NoDeployedAlarmsError,
  notifyChanges,
  renderAlarms,
  WEBHOOK_FORMATS,
  WebhookError,
  type WebhookFormat,
} from '../../ops/alarms/index.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CannotRunError, EXIT, ProblemFoundError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addExamples,
  addSourceUrlOption,
  addWarehouseUrlOption,
  checkAwsOrStateDir,
  envOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { paintState, writeResult } from '../output.ts';

export interface AlarmsOptions extends SourceUrlOption, WarehouseUrlOption, AwsOptions {
  readonly json?: boolean;
  readonly webhook?: string;
  readonly webhookFormat?: WebhookFormat;
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
          if (error instanceof NoDeployedAlarmsError)
            throw new CannotRunError(error.message, { cause: error });
          throw error;
        },
      );
      writeResult(
        options.json,
        states,
        () => renderAlarms(states).replace(/\b(OK|ALARM|INSUFFICIENT_DATA)\b/g, (state) => paintState(state)),
        out,
      );
      return states.some((s) => s.state === 'ALARM') ? EXIT.problemFound : EXIT.ok;
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
    writeResult(
      options.json,
      states,
      () => renderAlarms(states).replace(/\b(OK|ALARM|INSUFFICIENT_DATA)\b/g, (state) => paintState(state)),
      out,
    );
    if (options.webhook) {
      try {
        const { posted } = await notifyChanges(states, {
          stateDir,
          url: options.webhook,
          format: options.webhookFormat ?? 'text',
        });
        if (posted.length > 0) err.write(`posted ${posted.length} state change(s) to the webhook\n`);
      } catch (error) {
        if (error instanceof WebhookError) throw new CannotRunError(error.message, { cause: error });
        throw error;
      }
    }
    return states.some((s) => s.state === 'ALARM') ? EXIT.problemFound : EXIT.ok;
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
    .addOption(
      envOption(
        '--webhook <url>',
        'POST each state change to this URL (Slack and Teams incoming webhooks take the default format); states are remembered in the state folder (local stack only)',
      ),
    )
    .addOption(
      envOption(
        '--webhook-format <format>',
        'body of each post: {"text"} (text), Slack blocks, a Teams MessageCard, or the change as JSON',
        {
          choices: WEBHOOK_FORMATS,
          default: 'text',
        },
      ),
    );
  addExamples(command, [
    ['totes alarms', 'every alarm with its state; exit 1 if any is in ALARM'],
    ['totes alarms --aws --prefix totes-prod', 'the deployed CloudWatch alarms and their states'],
    ['totes alarms --json | jq \'.[] | select(.state == "ALARM")\'', 'the alarms in ALARM'],
    ['TOTES_WEBHOOK=https://hooks.slack.com/services/... totes alarms', 'post state changes to Slack'],
    ['totes alarms --webhook URL --webhook-format teams', 'a Teams MessageCard per change'],
  ]);
  command.action(async (options: AlarmsOptions) => {
    const code = await alarmsCommand(options);
    if (code !== EXIT.ok)
      throw new ProblemFoundError('some alarms are in ALARM (see the list and RUNBOOK.md)');
  });
}
