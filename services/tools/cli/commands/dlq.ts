import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { pipelineResources } from '../../../../shared/config/resources.ts';
import { LOCAL_REGION, startLocalAws } from '../../local-runtime/aws/index.ts';
import { prepareStateFolder, runningRuntime } from '../../local-runtime/stack.ts';
import { lockStateFolder } from '../../local-runtime/state-lock.ts';
import { safeJson } from '../../ops/dlq/escape.ts';
import {
  awsTarget,
  defaultBackupFile,
  listDlqs,
  localTarget,
  type OpsTarget,
  OpsUsageError,
  purge,
  RedriveInterruptedError,
  type RedriveResult,
  redrive,
  renderDlqList,
  renderDlqShow,
  showDlq,
} from '../../ops/dlq/index.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  addAwsOptions,
  checkAwsOrStateDir,
  positiveNumber,
  resolvePrefix,
  resolveStateDir,
  type StateDirOption,
} from '../options.ts';

/**
 * `totes dlq list | show | redrive | purge`: on-call work on the dead-letter queues, against the
 * local stack (`--state-dir`, the running runtime's emulators or the state folder's own) or an AWS
 * account (`--aws`, names from `--prefix` in the environment's account and region).
 */

export interface TargetOptions extends StateDirOption {
  readonly aws?: boolean;
  readonly prefix?: string;
}

export interface CommandIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

const defaultIo = (): CommandIo => ({ out: process.stdout, err: process.stderr, stdin: process.stdin });

/** Opens the target the options name; the caller closes it. */
export async function openTarget(options: TargetOptions): Promise<OpsTarget> {
  if (options.aws) {
    checkAwsOrStateDir(options);
    return awsTarget({ prefix: resolvePrefix(options), backupDir: process.cwd() });
  }
  const stateDir = resolveStateDir(options);
  const running = await runningRuntime(stateDir);
  if (running) {
    return localTarget({
      stateDir,
      endpoints: running.endpoints,
      region: LOCAL_REGION,
      resources: pipelineResources(running.prefix, 'local'),
      detach: async () => {},
    });
  }
  // Nothing runs on the folder: the queues are the state folder's own (no database needed). The
  // folder's lock is taken first, as by any process that starts something on it.
  const lock = await lockStateFolder(prepareStateFolder(stateDir), 'totes dlq', 'attached');
  try {
    const aws = await startLocalAws({
      stateDir: path.join(stateDir, 'aws'),
      prefix: resolvePrefix(options),
    });
    return localTarget({
      stateDir,
      endpoints: aws.endpoints,
      region: aws.region,
      resources: aws.resources,
      detach: async () => {
        await aws.stop();
        await lock.release();
      },
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function withTarget<T>(options: TargetOptions, run: (target: OpsTarget) => Promise<T>): Promise<T> {
  const target = await openTarget(options);
  try {
    return await run(target);
  } catch (error) {
    if (error instanceof OpsUsageError) throw new CliError(error.message, { cause: error });
    if (error instanceof RedriveInterruptedError) throw new CliError(error.message, { cause: error });
    throw error;
  } finally {
    await target.close();
  }
}

function progressBar(io: CommandIo, label: string) {
  const bar = new cliProgress.SingleBar(
    {
      stream: io.err,
      format: `${label} [{bar}] {value}/{total} messages | {duration}s`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Aborts on Ctrl-C (the current message finishes; a move task is cancelled). */
function interruptible<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return run(controller.signal).finally(() => process.removeListener('SIGINT', onSigint));
}

export async function dlqListCommand(
  options: TargetOptions & { json?: boolean },
  io: CommandIo = defaultIo(),
) {
  await withTarget(options, async (target) => {
    const entries = await listDlqs(target);
    io.out.write(options.json ? `${safeJson(entries)}\n` : `${renderDlqList(entries)}\n`);
  });
}

export async function dlqShowCommand(
  queue: string,
  options: TargetOptions & { json?: boolean; limit?: number },
  io: CommandIo = defaultIo(),
) {
  await withTarget(options, async (target) => {
    const dlq = await target.dlq(queue);
    const views = await showDlq(target, dlq, options.limit ?? 10);
    io.out.write(options.json ? `${safeJson(views)}\n` : `${renderDlqShow(queue, views)}\n`);
  });
}

export interface RedriveCommandOptions extends TargetOptions {
  readonly all?: boolean;
  readonly messageId?: readonly string[];
  readonly dryRun?: boolean;
  readonly rate?: number;
  readonly backup?: string;
  readonly visibilityTimeout?: number;
  readonly json?: boolean;
}

function renderRedrive(result: RedriveResult): string {
  if (result.mode === 'dry-run') {
    const lines = [
      `dry run: ${result.messageIds.length} message(s) would move from ${result.queue} to ${result.destination}`,
    ];
    for (const m of result.wouldMove ?? [])
      lines.push(`  ${m.messageId}  (received ${m.receiveCount}x, sent ${m.sentAt ?? '-'})`);
    if (result.notFound.length) lines.push(`not in the DLQ: ${result.notFound.join(', ')}`);
    return lines.join('\n');
  }
  const lines = [
    result.mode === 'move-task'
      ? `move task ${result.taskStatus}: ${result.moved} message(s) moved from ${result.queue} to ${result.destination}${result.failureReason ? ` (${result.failureReason})` : ''}`
      : `${result.moved} message(s) moved from ${result.queue} to ${result.destination}${result.aborted ? ' (interrupted; the rest stay in the DLQ)' : ''}`,
  ];
  if (result.backupFile) lines.push(`backup: ${result.backupFile}`);
  if (result.notFound.length) lines.push(`not found in the DLQ: ${result.notFound.join(', ')}`);
  return lines.join('\n');
}

export async function dlqRedriveCommand(
  queue: string,
  options: RedriveCommandOptions,
  io: CommandIo = defaultIo(),
): Promise<RedriveResult> {
  const ids = options.messageId ?? [];
  if (options.all && ids.length > 0) throw new UsageError('give --all or --message-id, not both');
  if (!options.all && ids.length === 0)
    throw new UsageError('say what to redrive: --all or --message-id ID ...');
  return withTarget(options, async (target) => {
    const dlq = await target.dlq(queue);
    const bar = progressBar(io, `redrive ${queue}`);
    try {
      const result = await interruptible((signal) =>
        redrive(target, dlq, {
          ...(options.all ? {} : { messageIds: ids }),
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.rate ? { rate: options.rate } : {}),
          ...(options.backup ? { backupFile: path.resolve(options.backup) } : {}),
          ...(options.visibilityTimeout ? { visibilityTimeoutSeconds: options.visibilityTimeout } : {}),
          onProgress: (done, total) => bar.update(done, total),
          signal,
        }),
      );
      bar.stop();
      io.out.write(options.json ? `${safeJson(result)}\n` : `${renderRedrive(result)}\n`);
      if (result.notFound.length > 0 && result.mode !== 'dry-run') {
        throw new CliError(`${result.notFound.length} message id(s) not found in ${queue}`);
      }
      if (result.mode === 'move-task' && result.taskStatus !== 'COMPLETED') {
        throw new CliError(`the move task ended ${result.taskStatus}`);
      }
      return result;
    } finally {
      bar.stop();
    }
  });
}

async function confirm(io: CommandIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.err });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export async function dlqPurgeCommand(
  queue: string,
  options: TargetOptions & { yes?: boolean; backup?: string; json?: boolean },
  io: CommandIo = defaultIo(),
) {
  if (!options.yes && !io.stdin.isTTY) {
    throw new UsageError('refusing to purge without --yes when stdin is not a terminal');
  }
  await withTarget(options, async (target) => {
    const dlq = await target.dlq(queue);
    const depth = await target.depth(dlq);
    const backupFile = path.resolve(options.backup ?? defaultBackupFile(target.backupDir, queue, 'purge'));
    if (!options.yes) {
      const ok = await confirm(
        io,
        `Delete the ${depth.visible} message(s) in ${queue}? A backup goes to ${backupFile} first. [y/N] `,
      );
      if (!ok) throw new CliError('purge cancelled; nothing deleted');
    }
    const bar = progressBar(io, `purge ${queue}`);
    try {
      const result = await interruptible((signal) =>
        purge(target, dlq, { backupFile, onProgress: (d, t) => bar.update(d, t), signal }),
      );
      bar.stop();
      io.out.write(
        options.json
          ? `${safeJson(result)}\n`
          : `${result.deleted} message(s) deleted from ${queue}; backup: ${result.backupFile}\n`,
      );
    } finally {
      bar.stop();
    }
  });
}

/** `--aws` / `--prefix` beside `--state-dir`: the target of every dlq command. */
export function addTargetOptions(command: Command): Command {
  return addAwsOptions(command);
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new InvalidArgumentError('expected a whole number (1 or more).');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('inspect, redrive and purge the dead-letter queues (local stack or --aws); see RUNBOOK.md');

  addTargetOptions(
    dlq
      .command('list')
      .description('every DLQ with its depth, in-flight count and the age of its oldest message'),
  )
    .option('--json', 'print a JSON array of {queue, depth, inFlight, oldestAgeSeconds, source, stage}')
    .action((options: TargetOptions & { json?: boolean }) => dlqListCommand(options));

  addTargetOptions(
    dlq
      .command('show')
      .argument('<queue>', 'DLQ name as `dlq list` prints it (e.g. totes-load-dlq)')
      .description(
        'peek at messages without consuming them: id, object key, receive count, first sent, recorded failure reason and time',
      ),
  )
    .option('--limit <n>', 'at most this many messages', positiveInteger, 10)
    .option('--json', 'print a JSON array')
    .action((queue: string, options: TargetOptions & { json?: boolean; limit?: number }) =>
      dlqShowCommand(queue, options),
    );

  addTargetOptions(
    dlq
      .command('redrive')
      .argument('<queue>', 'DLQ name as `dlq list` prints it')
      .description(
        'move messages back to the queue they came from (receive -> backup -> send -> delete; on AWS --all uses StartMessageMoveTask)',
      ),
  )
    .option('--all', 'every message in the DLQ')
    .option('--message-id <id>', 'only this message (repeatable)', collect)
    .option('--dry-run', 'list what would move, move nothing')
    .option('--rate <n>', 'at most n messages per second', positiveNumber)
    .option('--backup <file>', 'append every moved message (JSON lines) to this file before sending it')
    .option('--visibility-timeout <seconds>', 'how long a message being moved stays hidden', positiveInteger)
    .option('--json', 'print the result as JSON')
    .action(async (queue: string, options: RedriveCommandOptions) => {
      await dlqRedriveCommand(queue, options);
    });

  addTargetOptions(
    dlq
      .command('purge')
      .argument('<queue>', 'DLQ name as `dlq list` prints it')
      .description('delete every message of the DLQ, after writing each one to a backup file'),
  )
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option(
      '--backup <file>',
      'backup file (default: <state dir or cwd>/dlq-backups/<queue>-purge-<time>.jsonl)',
    )
    .option('--json', 'print the result as JSON')
    .action((queue: string, options: TargetOptions & { yes?: boolean; backup?: string; json?: boolean }) =>
      dlqPurgeCommand(queue, options),
    );
}
