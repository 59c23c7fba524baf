import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import {
  evaluateAlarms,
  notifyChanges,
  renderAlarms,
  WEBHOOK_FORMATS,
  WebhookError,
  type WebhookFormat,
} from '../../ops/alarms/index.ts';
import { CannotRunError, EXIT, ProblemFoundError, UsageError } from '../errors.ts';
import {
  addExamples,
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  envOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { paintState, writeResult } from '../output.ts';

export interface AlarmsOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
  readonly webhook?: string;
  readonly webhookFormat?: WebhookFormat;
  readonly aws?: boolean;
}

/** Evaluates the local alarms; exit code 0 when all are OK, 1 when any is in ALARM. */
export async function alarmsCommand(
  options: AlarmsOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  if (options.aws) {
    throw new UsageError(
      'on AWS the alarms are CloudWatch alarms: `aws cloudwatch describe-alarms --alarm-name-prefix totes-` (see RUNBOOK.md)',
    );
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
      'evaluate the alarms of shared/config/alarms.json against the local stack (DLQ depth, queue age, failed records, extract heartbeat, warehouse freshness); exit 1 if any is in ALARM',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--json', 'print a JSON array of {name, state: OK|ALARM, reason, value, threshold, runbook, ...}')
    .addOption(
      envOption(
        '--webhook <url>',
        'POST each state change to this URL (Slack and Teams incoming webhooks take the default format); states are remembered in the state folder',
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
    )
    .option('--aws', 'not supported: points to the CloudWatch alarms');
  addExamples(command, [
    ['totes alarms', 'every alarm with its state; exit 1 if any is in ALARM'],
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
