import { existsSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { pipelineResources } from '../../../../shared/config/resources.ts';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { LOCAL_CREDENTIALS } from '../../local-runtime/aws/index.ts';
import {
  type ReplayReport,
  ReplayWindowError,
  renderReplayReport,
  renderUnit,
  replayUnits,
  replayWindow,
  TooManyGenerationsError,
} from '../../ops/replay/index.ts';
import { withAwsErrors } from '../aws-errors.ts';
import { CannotRunError, ProblemFoundError, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addExamples,
  checkAwsOrStateDir,
  resolvePrefix,
  resolveStateDir,
} from '../options.ts';
import { writeResult } from '../output.ts';

/**
 * `totes replay --from T --to T [--dry-run] [--aws]`: re-process the ingestion units extracted in
 * a window with today's code, as a new generation of each (services/tools/ops/replay). Locally on
 * the state folder's lake (the running stack processes them at once; a stopped one on its next
 * start or run); with `--aws` on the deployment's ingestion bucket through the S3 SDK.
 */

export interface ReplayCommandOptions extends AwsOptions {
  readonly from?: string;
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

export interface ReplayIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

function window(options: ReplayCommandOptions) {
  if (!options.from || !options.to) throw new UsageError('give the window: --from T --to T (ISO 8601, UTC)');
  try {
    return replayWindow(options.from, options.to);
  } catch (error) {
    if (error instanceof ReplayWindowError) throw new UsageError(error.message);
    throw error;
  }
}

/** Runs the replay and prints its report; returns it (exit 1 when a unit could not be replayed). */
export async function replayCommand(
  options: ReplayCommandOptions,
  io: ReplayIo = { out: process.stdout, err: process.stderr },
  clients: { s3?: S3Client } = {},
): Promise<ReplayReport> {
  checkAwsOrStateDir(options);
  const chosen = window(options);
  const dryRun = options.dryRun === true;
  const progress = (unit: Parameters<typeof renderUnit>[0]) => {
    if (!options.json) return;
    io.err.write(`${renderUnit(unit)}\n`);
  };
  let report: ReplayReport;
  try {
    if (options.aws) {
      const prefix = resolvePrefix(options);
      const s3 = clients.s3 ?? new S3Client({});
      try {
        report = await withAwsErrors(() =>
          replayUnits({
            s3,
            bucket: pipelineResources(prefix, 'aws').buckets.ingestion,
            window: chosen,
            dryRun,
            target: `AWS deployment ${prefix}`,
            onUnit: progress,
          }),
        );
      } finally {
        if (!clients.s3) s3.destroy();
      }
    } else {
      const stateDir = resolveStateDir(options);
      if (!existsSync(stateDir)) {
        throw new CannotRunError(`no local stack in ${stateDir} (--state-dir of one, or --aws)`);
      }
      const stack = await attachLocalStack({ stateDir });
      const s3 =
        clients.s3 ??
        new S3Client({
          region: stack.region,
          endpoint: stack.endpoints.s3,
          forcePathStyle: true,
          credentials: LOCAL_CREDENTIALS,
        });
      try {
        report = await replayUnits({
          s3,
          bucket: stack.resources.buckets.ingestion,
          window: chosen,
          dryRun,
          target: `local stack in ${stateDir}${stack.running ? '' : ' (not running: the units are processed on its next start or run)'}`,
          onUnit: progress,
        });
      } finally {
        if (!clients.s3) s3.destroy();
        await stack.detach();
      }
    }
  } catch (error) {
    if (error instanceof TooManyGenerationsError) throw new CannotRunError(error.message, { cause: error });
    throw error;
  }
  writeResult(options.json, report, () => renderReplayReport(report), io.out);
  if (report.totals.failed > 0) {
    throw new ProblemFoundError(
      `replay: ${report.totals.failed} of ${report.totals.units} unit(s) could not be replayed (see above)`,
    );
  }
  return report;
}

export function register(program: Command): void {
  const command = program
    .command('replay')
    .description(
      "re-process the ingestion units extracted in [--from, --to) with today's code: writes a new generation of each unit's ingestion manifest (the lake is never overwritten); the transform and load then redo the unit and its rows replace the earlier generation's in one transaction. Safe to run twice or while the schedule runs. Exit 1 if a unit could not be replayed",
    )
    .option(
      '--from <time>',
      'start of the window, inclusive: ISO 8601 (no zone means UTC), e.g. 2026-11-30T14:00Z',
    )
    .option('--to <time>', 'end of the window, exclusive')
    .option('--dry-run', 'list the units and their rows, write nothing')
    .option('--json', 'print one JSON object {target, bucket, window, dryRun, units: [...], totals}');
  addAwsOptions(command);
  addExamples(command, [
    [
      'totes replay --from 2026-11-30T14:00Z --to 2026-11-30T16:00Z --dry-run',
      'which units of the local stack would be replayed',
    ],
    ['totes replay --from 2026-11-30T14:00Z --to 2026-11-30T16:00Z', 'replay them; then `totes reconcile`'],
    [
      'totes replay --from 2026-11-30 --to 2026-12-01 --aws --prefix totes-prod',
      "a whole day of the deployment's ingestion bucket",
    ],
  ]);
  command.action(async (options: ReplayCommandOptions) => {
    await replayCommand(options);
  });
}
