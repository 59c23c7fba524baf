import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Command, InvalidArgumentError } from 'commander';
import type { Stage } from '../../../../shared/config/resources.ts';
import {
  type LogEvent,
  type LogFilter,
  localLogFile,
  NoLogFileError,
  NoLogGroupError,
  parseLevel,
  parseSince,
  readAwsLogs,
  readLocalLogs,
  renderLogEvent,
  STAGES,
} from '../../ops/logs/index.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  checkAwsOrStateDir,
  resolvePrefix,
  resolveStateDir,
} from '../options.ts';

/**
 * `totes logs [stage]`: the stages' structured logs, from the local stack's log file or from
 * CloudWatch Logs (`--aws`), one readable line per event or JSON; `--follow` keeps reading until
 * Ctrl-C.
 */

export const SINCE_ENV = 'TOTES_LOGS_SINCE';
const DEFAULT_SINCE = '1h';

export interface LogsOptions extends AwsOptions {
  readonly since?: string;
  readonly follow?: boolean;
  readonly run?: string;
  readonly level?: string;
  readonly json?: boolean;
  readonly pollMs?: number;
}

export function logFilter(
  stage: string | undefined,
  options: LogsOptions,
  env: NodeJS.ProcessEnv = process.env,
  now = Date.now(),
): LogFilter {
  if (stage !== undefined && !(STAGES as readonly string[]).includes(stage)) {
    throw new UsageError(`unknown stage ${JSON.stringify(stage)} (expected ${STAGES.join(', ')})`);
  }
  const sinceText = options.since ?? env[SINCE_ENV] ?? DEFAULT_SINCE;
  const sinceMs = parseSince(sinceText, now);
  if (sinceMs === undefined) {
    throw new UsageError(
      `--since: expected a duration (30s, 15m, 1h, 2d) or an ISO time, got ${JSON.stringify(sinceText)}`,
    );
  }
  let level: LogFilter['level'];
  if (options.level !== undefined) {
    level = parseLevel(options.level);
    if (!level)
      throw new UsageError(
        `--level: expected DEBUG, INFO, WARN, ERROR or CRITICAL, got ${JSON.stringify(options.level)}`,
      );
  }
  return {
    ...(stage ? { stage: stage as Stage } : {}),
    sinceMs,
    ...(options.run ? { runId: options.run } : {}),
    ...(level ? { level } : {}),
  };
}

export async function logsCommand(
  stage: string | undefined,
  options: LogsOptions,
  io: { out: NodeJS.WritableStream; signal?: AbortSignal; logs?: CloudWatchLogsClient } = {
    out: process.stdout,
  },
): Promise<number> {
  checkAwsOrStateDir(options);
  const filter = logFilter(stage, options);
  const collected: LogEvent[] = [];
  // Following: one line (or one JSON line) per event as it comes. Otherwise --json collects the
  // events into one JSON array.
  const onEvent = (event: LogEvent) => {
    if (options.json && !options.follow) collected.push(event);
    else io.out.write(`${options.json ? JSON.stringify(event) : renderLogEvent(event)}\n`);
  };
  const read = {
    filter,
    follow: options.follow ?? false,
    onEvent,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  };
  try {
    if (options.aws) {
      const client = io.logs ?? new CloudWatchLogsClient({});
      try {
        await withAwsErrors(() => readAwsLogs(client, resolvePrefix(options), read));
      } finally {
        if (!io.logs) client.destroy();
      }
    } else {
      await readLocalLogs(localLogFile(resolveStateDir(options)), read);
    }
  } catch (error) {
    if (error instanceof NoLogFileError || error instanceof NoLogGroupError) {
      throw new CliError(error.message, { exitCode: 2, cause: error });
    }
    throw error;
  }
  if (options.json && !options.follow) io.out.write(`${JSON.stringify(collected)}\n`);
  return collected.length;
}

function pollInterval(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 60_000) {
    throw new InvalidArgumentError('expected milliseconds between 100 and 60000.');
  }
  return n;
}

export function register(program: Command): void {
  const command = program
    .command('logs')
    .argument('[stage]', `only this stage (${STAGES.join(', ')}); all by default`)
    .description(
      "the stages' structured logs: locally from <state-dir>/logs/pipeline.log, with --aws from CloudWatch Logs (/aws/lambda/<prefix>-<stage>); one line per event",
    );
  addAwsOptions(command);
  command
    .option(
      '--since <when>',
      `events from this long ago (30s, 15m, 1h, 2d) or this ISO time (default: $${SINCE_ENV}, else ${DEFAULT_SINCE})`,
    )
    .option('-f, --follow', 'keep printing new events until Ctrl-C (AWS: polls every 2 s)')
    .option('--run <run-id>', 'only the events of this extract run (and its unit through transform and load)')
    .option('--level <level>', 'only events at this level or above: DEBUG, INFO, WARN, ERROR, CRITICAL')
    .option(
      '--json',
      'print one JSON array of events {time, level, stage, runId, message, fields}; with --follow, one JSON object per line (JSON lines)',
    )
    .option('--poll-ms <ms>', 'with --follow, milliseconds between two looks for new events', pollInterval)
    .action(async (stage: string | undefined, options: LogsOptions) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await logsCommand(stage, options, { out: process.stdout, signal: controller.signal });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
