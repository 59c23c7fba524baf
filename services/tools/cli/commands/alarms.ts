import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { evaluateAlarms, notifyChanges, renderAlarms, WebhookError } from '../../ops/alarms/index.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';

export interface AlarmsOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
  readonly webhook?: string;
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
      'evaluate the alarms of shared/config/alarms.json against the local stack (DLQ depth, queue age, failed records, extract heartbeat, warehouse freshness); exit 1 if any is in ALARM',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command
    .option('--json', 'print a JSON array of {name, state: OK|ALARM, reason, value, threshold, runbook, ...}')
    .option(
      '--webhook <url>',
      'POST each state change (JSON) to this URL; states are remembered in the state folder',
    )
    .option('--aws', 'not supported: points to the CloudWatch alarms')
    .action(async (options: AlarmsOptions) => {
      const code = await alarmsCommand(options);
      if (code !== 0)
        throw new CliError('some alarms are in ALARM (see above and RUNBOOK.md)', { exitCode: code });
    });
}
