import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { DatabasePool } from 'slonik';
import { ENV } from '../../../../shared/config/env.ts';
import { migrateWarehouse } from '../../../../shared/db/migrate.ts';
import type { ApplyResult } from '../../../lambdas/load/apply.ts';
import { FaultInjector } from '../../local-runtime/faults/injector.ts';
import { countProcessedManifests, unitsMissingFromLake } from '../../ops/rebuild/lake.ts';
import { awsRebuildLake, localRebuildLake, type RebuildLake } from '../../ops/rebuild/open.ts';
import { createProgress } from '../../ops/rebuild/progress.ts';
import { type RebuildSummary, rebuildWarehouse } from '../../ops/rebuild/rebuild.ts';
import { renderRebuildSummary } from '../../ops/rebuild/render.ts';
import {
  decideTarget,
  inspectWarehouse,
  sameDatabase,
  type TargetDecision,
} from '../../ops/rebuild/target.ts';
import { renderReconcileReport } from '../../ops/reconcile/render.ts';
import type { ReconcileResult } from '../../ops/reconcile/types.ts';
import { awsErrorMessage, withAwsErrors } from '../aws-errors.ts';
import { withPool } from '../database.ts';
import { CannotRunError, CliError, EXIT, ProblemFoundError, redactUrl, UsageError } from '../errors.ts';
import {
  type AwsOptions,
  addAwsOptions,
  addExamples,
  checkAwsOrStateDir,
  optionalSourceUrl,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
} from '../options.ts';
import { writeJson } from '../output.ts';
import { reconcileUrls } from './reconcile.ts';

interface RebuildOptions extends AwsOptions, SourceUrlOption {
  readonly warehouseUrl?: string;
  readonly force?: boolean;
  readonly reconcile?: boolean;
  readonly json?: boolean;
  readonly faults?: string;
  readonly faultSeed?: string;
}

export interface RebuildReport {
  readonly ok: boolean;
  readonly lake: string;
  readonly warehouse: string;
  /** 'empty': a fresh warehouse; 'resume': its ledger already held units of this lake. */
  readonly target: 'empty' | 'resume';
  readonly ledgerUnitsBefore: number;
  readonly summary: RebuildSummary;
  /** The reconcile against the source, or null when no source URL was known (or --no-reconcile). */
  readonly reconcile: ReconcileResult | null;
}

function checkedTargetUrl(value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new UsageError('no target warehouse: pass --warehouse-url postgres://.../<an empty database>');
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError('--warehouse-url: not a URL (expected postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`--warehouse-url: expected a postgres:// URL, got ${parsed.protocol}//...`);
  }
  return value;
}

/** Local fault injection (tests of an interrupted rebuild): a SIGKILL after a unit's COMMIT. */
function faultSeam(options: RebuildOptions): ((result: ApplyResult) => void) | undefined {
  if (!options.faults) return undefined;
  if (options.aws) throw new UsageError('--faults is for the local stack only');
  const faults = FaultInjector.parse(options.faults, Number(options.faultSeed ?? 1));
  return (result) => {
    if (result.status === 'applied' && faults.draw('post-commit-kill')) process.kill(process.pid, 'SIGKILL');
  };
}

/** The live warehouse check: refused unless --force; on AWS a live URL that cannot be read is refused too. */
async function checkNotLive(lake: RebuildLake, target: string, force: boolean): Promise<void> {
  if (force) return;
  let live: string | undefined;
  try {
    live = await lake.liveWarehouseUrl();
  } catch (error) {
    throw new CannotRunError(
      `cannot tell whether ${redactUrl(target)} is the live warehouse of ${lake.description} (${(error as Error).message}); pass --force if it is not`,
      { cause: error },
    );
  }
  if (live !== undefined && sameDatabase(live, target)) {
    throw new CannotRunError(
      `${redactUrl(target)} is the live warehouse of ${lake.description}: rebuild into another database (or pass --force)`,
    );
  }
}

/**
 * An S3 step of the rebuild: its AWS failures become one line naming the bucket (inside the
 * target's pool they would otherwise be reported as the database's).
 */
async function fromLake<T>(lake: RebuildLake, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: unknown };
    if (e.name === 'NoSuchBucket') {
      throw new CannotRunError(`no bucket s3://${lake.bucket} (${lake.description}): is --prefix right?`, {
        cause: error,
      });
    }
    const line =
      awsErrorMessage(error) ?? (e.$metadata !== undefined ? `${e.name}: ${e.message}` : undefined);
    if (line !== undefined) throw new CannotRunError(`s3://${lake.bucket}: ${line}`, { cause: error });
    throw error;
  }
}

/**
 * Inside the target's pool: the target checked (before migrating, so a refused one is left as it
 * was), migrated, then every manifest applied with the progress shown.
 */
async function fillWarehouse(
  pool: DatabasePool,
  lake: RebuildLake,
  target: string,
  options: RebuildOptions,
  err: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<{ decision: TargetDecision & { ok: true }; summary: RebuildSummary }> {
  const afterCommit = faultSeam(options);
  // Inspected before migrating: a refused target is left as it was.
  const contents = await inspectWarehouse(pool);
  const missing = await fromLake(lake, () =>
    unitsMissingFromLake(lake.s3, lake.bucket, contents.sampleUnitIds),
  );
  const decision = decideTarget(contents, missing, lake.bucket, options.force === true);
  if (!decision.ok)
    throw new CannotRunError(`refusing to rebuild into ${redactUrl(target)}: ${decision.reason}`);
  await migrateWarehouse(pool);
  err.write(
    `rebuilding ${redactUrl(target)} from s3://${lake.bucket} (${lake.description})` +
      (decision.ledgerUnits > 0 ? `: resuming, ${decision.ledgerUnits} units already in its ledger\n` : '\n'),
  );
  const total = await fromLake(lake, () => countProcessedManifests(lake.s3, lake.bucket));
  const progress = createProgress(err, { plain: options.json === true });
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const counts = { applied: 0, alreadyApplied: 0, failed: 0 };
  try {
    const summary = await fromLake(lake, () =>
      rebuildWarehouse({
        s3: lake.s3,
        bucket: lake.bucket,
        pool,
        signal: stop.signal,
        ...(afterCommit ? { afterCommit } : {}),
        onUnit: (event) => {
          if (event.status === 'applied') counts.applied++;
          else if (event.status === 'already-applied') counts.alreadyApplied++;
          else counts.failed++;
          progress.update(event.done, Math.max(total, event.done), counts);
        },
      }),
    );
    return { decision, summary };
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
  }
}

export async function rebuildCommand(
  options: RebuildOptions,
  err: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Promise<RebuildReport> {
  checkAwsOrStateDir(options);
  const target = checkedTargetUrl(options.warehouseUrl);
  faultSeam(options); // checks --faults before anything starts
  const prefix = resolvePrefix(options);
  const sourceGiven = optionalSourceUrl(options);
  if (sourceGiven !== undefined && sameDatabase(sourceGiven, target)) {
    throw new UsageError('--warehouse-url names the source database: rebuild into a database of its own');
  }
  const stateDir = resolveStateDir(options);
  if (!options.aws && !existsSync(path.join(stateDir, 'aws', 's3'))) {
    throw new UsageError(
      `no local lake in ${stateDir} (run \`totes start\` or \`totes run\` first, or pass --aws)`,
    );
  }
  const lake = options.aws ? awsRebuildLake(prefix) : await localRebuildLake(stateDir, prefix);
  try {
    return await withAwsErrors(async () => {
      await checkNotLive(lake, target, options.force === true);
      const sourceUrl = sourceGiven ?? lake.sourceUrl;
      if (sourceUrl !== undefined && sameDatabase(sourceUrl, target)) {
        throw new CannotRunError(`${redactUrl(target)} is the source database of ${lake.description}`);
      }
      const built = await withPool('target warehouse', target, (pool) =>
        fillWarehouse(pool, lake, target, options, err),
      );
      const reconcile =
        sourceUrl !== undefined && options.reconcile !== false && !built.summary.interrupted
          ? await reconcileUrls(sourceUrl, target)
          : null;
      return {
        ok: built.summary.units.failed === 0 && !built.summary.interrupted && (reconcile?.ok ?? true),
        lake: `s3://${lake.bucket}`,
        warehouse: redactUrl(target),
        target: built.decision.kind,
        ledgerUnitsBefore: built.decision.ledgerUnits,
        summary: built.summary,
        reconcile,
      };
    });
  } finally {
    await lake.close();
  }
}

export function register(program: Command): void {
  const command = program
    .command('rebuild')
    .description(
      'fill a warehouse from the processed lake alone (the source is not read): migrate it, apply every processed ' +
        "manifest through the load's own code, one unit at a time, then reconcile it against the source when one is known. " +
        'Exactly-once by the load ledger: an interrupted rebuild run again applies only what is missing. ' +
        "Locally from the state folder (running or not), with --aws from the deployment's processed bucket",
    )
    .addOption(
      new Option(
        '--warehouse-url <url>',
        'the warehouse to fill, postgres:// URL: an empty database, or one a rebuild from this lake left unfinished (WAREHOUSE_URL is not read: it names the live warehouse)',
      ),
    );
  addAwsOptions(command);
  command.addOption(
    new Option(
      '--source-url <url>',
      "totesys (source) database to reconcile against afterwards, postgres:// URL (default: the running local stack's; none: not reconciled)",
    ).env(ENV.totesysUrl),
  );
  command
    .option(
      '--force',
      "rebuild even into the pipeline's live warehouse, or a warehouse not filled from this lake",
    )
    .option('--no-reconcile', 'do not reconcile against the source afterwards')
    .option(
      '--json',
      'print one JSON object (units, rows per table, seconds, reconcile); progress as plain lines on stderr',
    )
    .addOption(
      new Option(
        '--faults <spec>',
        'inject faults (local tests): post-commit-kill=p kills the process after a unit',
      ).hideHelp(),
    )
    .addOption(new Option('--fault-seed <n>', 'seed of the fault decisions').hideHelp())
    .addHelpText(
      'after',
      `
Which warehouses it writes (RUNBOOK "Rebuild a warehouse"):
  - an empty database (any schema is created by the warehouse migrations);
  - one whose load ledger holds units of this lake only (an interrupted rebuild): resumed;
  - never the running pipeline's own warehouse, rows not loaded from a lake, or a ledger of
    another lake, unless --force. Exit 2 when refused.
The source for the reconcile: --source-url / TOTESYS_URL, else the running local stack's.
Exit 0 rebuilt (and reconciled), 1 a unit failed or the reconcile found mismatches, 2 refused or could not run.`,
    );
  addExamples(command, [
    [
      'eval "$(npx totes env)" && createdb rebuilt && totes rebuild --warehouse-url "postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/rebuilt"',
      'while `npm start` runs: a second database on the embedded PostgreSQL',
    ],
    [
      'totes rebuild --aws --prefix totes-prod --warehouse-url postgres://... --source-url postgres://...',
      'from the deployment totes-prod, reconciled after',
    ],
    ['totes rebuild --warehouse-url postgres://... --json | jq .summary.rows', 'rows per table'],
  ]);
  command.action(async (options: RebuildOptions) => {
    const report = await rebuildCommand(options);
    if (options.json) writeJson(report);
    else process.stdout.write(`${renderRebuildSummary(report.summary)}\n`);
    if (report.reconcile) {
      if (!options.json) process.stdout.write(`${renderReconcileReport(report.reconcile, { limit: 10 })}\n`);
    } else if (!report.summary.interrupted && options.reconcile !== false) {
      process.stderr.write(
        `no source URL known, not reconciled: run \`totes reconcile --source-url <totesys URL> --warehouse-url ${report.warehouse}\`\n`,
      );
    }
    if (report.summary.interrupted) {
      throw new CliError('rebuild interrupted: run the same command again to apply the rest', {
        exitCode: EXIT.cannotRun,
      });
    }
    if (report.summary.units.failed > 0) {
      throw new ProblemFoundError(
        `rebuild: ${report.summary.units.failed} unit(s) could not be applied (see the summary)`,
      );
    }
    if (report.reconcile && !report.reconcile.ok) {
      const n = report.reconcile.summary.totalMismatches;
      throw new ProblemFoundError(
        `reconcile: ${n} mismatch${n === 1 ? '' : 'es'} between the source and the rebuilt warehouse`,
      );
    }
  });
}
