import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../../shared/config/env.ts';
import {
  DEFAULT_PREFIX,
  extractScheduleRuleName,
  type PipelineResources,
  pipelineResources,
  type Stage,
} from '../../../shared/config/resources.ts';
import { METRICS_NAMESPACE } from '../../../shared/metrics/namespace.ts';
import { queueDepth, totalMessages } from '../../../shared/state/queues.ts';
import { LOCAL_CREDENTIALS, type LocalAws, startLocalAws } from './aws/index.ts';
import { type LocalDatabases, startLocalDatabases } from './databases.ts';
import { type FaultInjector, InjectedCrashError } from './faults/injector.ts';
import { installPostgresFaults } from './faults/postgres.ts';
import { type BatchReport, EventSourceMapping } from './lambda/event-source-mapping.ts';
import { FunctionLog } from './lambda/function-output.ts';
import { type HandlerSource, handlerModuleUrls } from './lambda/handlers.ts';
import type { InvocationOutcome, LocalFunction } from './lambda/local-function.ts';
import { Schedule } from './lambda/schedule.ts';
import { ensurePrivateDir } from './private-files.ts';
import { removeRuntimeFiles, writeRuntimeFiles } from './runtime-file.ts';
import { schedulePausedCheck } from './schedule-control.ts';
import { lockStateFolder, StateFolderInUseError, type StateFolderLock } from './state-lock.ts';

export type { RunningRuntime, RuntimeInfo } from './runtime-file.ts';

/** Interval of `waitUntilDrained`'s checks (see there). */
const DRAIN_CHECK_MS = 20;

export { runningRuntime } from './runtime-file.ts';

export interface LocalStackOptions {
  readonly stateDir: string;
  readonly sourceUrl?: string | undefined;
  readonly warehouseUrl?: string | undefined;
  readonly prefix?: string;
  /** Scale for seeding an empty embedded source (default 1, the real volumes). */
  readonly seedScale?: number;
  /** Seconds between scheduled extracts (AWS: 300; locally short). */
  readonly scheduleSeconds?: number;
  /** Function timeouts in seconds (visibility timeouts follow at 6×); default: the local profile. */
  readonly timeouts?: Partial<Record<Stage, number>>;
  /** Seconds before a failed message is retried (AWS: the visibility timeout). */
  readonly retryDelaySeconds?: number;
  /**
   * Where the handlers' stdout/stderr go, as JSON lines (default `<stateDir>/logs/pipeline.log`);
   * 'inherit' leaves them on the process's own stdout/stderr.
   */
  readonly logFile?: string;
  /** Run the TypeScript sources (default) or the built bundles `dist/<stage>/index.mjs` (`--bundles`). */
  readonly handlers?: HandlerSource;
  readonly log?: (line: string) => void;
  /**
   * Seeded fault injection (`--faults SPEC --fault-seed N`): emulator HTTP errors, database errors
   * through slonik interceptors, crashes after the load's COMMIT, Lambda timeouts, duplicate
   * deliveries, reordering. Absent (the default): none of it is installed.
   */
  readonly faults?: FaultInjector;
}

export interface StageCounters {
  invocations: number;
  batches: number;
  recordsSucceeded: number;
  recordsFailed: number;
  invocationErrors: number;
  busyMs: number;
  lastError?: string;
}

/** Another process holds the state folder (the lock's own error, under the name callers catch). */
export { StateFolderInUseError as RuntimeBusyError };

/**
 * The whole pipeline on one machine: the databases, the AWS stand-ins, and the three real
 * handlers wired the way AWS wires them (an EventBridge-style schedule for extract, SQS event
 * source mappings for transform and load). Handlers run in this process, with the environment
 * the Terraform gives them on AWS.
 */
export class LocalStack {
  readonly counters: Record<Stage, StageCounters> = {
    extract: emptyCounters(),
    transform: emptyCounters(),
    load: emptyCounters(),
  };
  lastExtract: InvocationOutcome<unknown> | undefined;

  readonly options: LocalStackOptions;
  readonly databases: LocalDatabases;
  readonly aws: LocalAws;
  readonly schedule: Schedule<unknown>;
  readonly mappings: Readonly<Record<'transform' | 'load', EventSourceMapping>>;
  readonly sqs: SQSClient;
  /** The module each stage's handler was imported from (sources, or the bundles with --bundles). */
  readonly handlerModules: Readonly<Record<Stage, string>>;
  private readonly functionLog: FunctionLog | undefined;
  private readonly uninstallPostgresFaults: () => void;
  private readonly lock: StateFolderLock;

  private constructor(parts: {
    options: LocalStackOptions;
    databases: LocalDatabases;
    aws: LocalAws;
    schedule: Schedule<unknown>;
    mappings: Readonly<Record<'transform' | 'load', EventSourceMapping>>;
    sqs: SQSClient;
    handlerModules: Readonly<Record<Stage, string>>;
    functionLog: FunctionLog | undefined;
    uninstallPostgresFaults: () => void;
    lock: StateFolderLock;
  }) {
    this.lock = parts.lock;
    this.options = parts.options;
    this.databases = parts.databases;
    this.aws = parts.aws;
    this.schedule = parts.schedule;
    this.mappings = parts.mappings;
    this.sqs = parts.sqs;
    this.functionLog = parts.functionLog;
    this.handlerModules = parts.handlerModules;
    this.uninstallPostgresFaults = parts.uninstallPostgresFaults;
  }

  get resources(): PipelineResources {
    return this.aws.resources;
  }
  get sourceUrl(): string {
    return this.databases.sourceUrl;
  }
  get warehouseUrl(): string {
    return this.databases.warehouseUrl;
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const stateDir = path.resolve(options.stateDir);
    // A missing bundle (--bundles before `npm run build`) fails before anything starts.
    const modules = handlerModuleUrls(options.handlers ?? 'sources');
    // The lock comes first, before anything touches the folder's contents: a second start (or a
    // `totes status`) on the folder fails here with one line naming this process.
    const lock = await lockStateFolder(prepareStateFolder(stateDir), 'local stack');
    const startedAt = lock.holder().startedAt;
    let databases: LocalDatabases;
    try {
      writeRuntimeFiles(stateDir, { pid: process.pid, startedAt, stateDir, phase: 'starting' });
      databases = await startLocalDatabases({
        stateDir,
        sourceUrl: options.sourceUrl,
        warehouseUrl: options.warehouseUrl,
        ...(options.seedScale === undefined ? {} : { seedScale: options.seedScale }),
        ...(options.log ? { log: options.log } : {}),
      });
    } catch (error) {
      removeRuntimeFiles(stateDir);
      await lock.release();
      throw error;
    }
    let aws: LocalAws | undefined;
    let functionLog: FunctionLog | undefined;
    const { faults } = options;
    const uninstallPostgresFaults = faults ? installPostgresFaults(faults) : () => {};
    try {
      aws = await startLocalAws({
        stateDir: path.join(stateDir, 'aws'),
        resources: pipelineResources(options.prefix ?? DEFAULT_PREFIX, 'local', options.timeouts),
        faults,
      });
      const resources = aws.resources;
      Object.assign(process.env, aws.env, {
        [ENV.ingestionBucket]: resources.buckets.ingestion,
        [ENV.processedBucket]: resources.buckets.processed,
        [ENV.stateTable]: resources.tables.state.name,
        [ENV.idempotencyTable]: resources.tables.idempotency.name,
        [ENV.totesysUrl]: databases.sourceUrl,
        [ENV.warehouseUrl]: databases.warehouseUrl,
        [ENV.metricsNamespace]: process.env[ENV.metricsNamespace] ?? METRICS_NAMESPACE,
        // What Lambda sets for on-demand containers: Powertools then reports cold_start / ColdStart.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      });
      // Powertools' JSON (compact, one object per line, as in CloudWatch) goes to the log file.
      delete process.env.POWERTOOLS_DEV;
      const logFile = options.logFile ?? path.join(stateDir, 'logs', 'pipeline.log');
      functionLog = logFile === 'inherit' ? undefined : FunctionLog.open(logFile);
      const log = functionLog;
      const asFunction = <T>(work: () => T): T => (log ? log.run(work) : work());

      // Imported only now: the handlers read their environment when first invoked.
      const extract = await loadFunction<ScheduledEvent, unknown>(
        modules.extract,
        'extract',
        resources,
        asFunction,
      );
      const transform = await loadFunction<SQSEvent, SQSBatchResponse | undefined>(
        modules.transform,
        'transform',
        resources,
        asFunction,
      );
      const load = faults
        ? await faultedLoadFunction(modules.load, faults, resources, asFunction)
        : await loadFunction<SQSEvent, SQSBatchResponse | undefined>(
            modules.load,
            'load',
            resources,
            asFunction,
          );

      const sqs = new SQSClient({
        region: aws.region,
        endpoint: aws.endpoints.sqs,
        credentials: LOCAL_CREDENTIALS,
      });
      let stack: LocalStack | undefined;
      const schedule = new Schedule<unknown>({
        ruleName: extractScheduleRuleName(resources.prefix),
        region: aws.region,
        everySeconds: options.scheduleSeconds ?? 30,
        fn: extract,
        onRun: (outcome) => stack?.recordExtract(outcome),
        faults,
        paused: schedulePausedCheck(stateDir),
      });
      const mapping = (
        stage: 'transform' | 'load',
        fn: LocalFunction<SQSEvent, SQSBatchResponse | undefined>,
      ) => {
        const queue = resources.queues[stage];
        const settings = resources.mappings.find((m) => m.function === stage);
        const queueUrl = aws?.queueUrls[queue.name];
        if (!settings || !queueUrl) throw new Error(`no queue or mapping declared for ${stage}`);
        return new EventSourceMapping({
          sqs,
          queueUrl,
          queueArn: `arn:aws:sqs:${aws?.region}:000000000000:${queue.name}`,
          region: aws?.region ?? 'eu-west-2',
          fn,
          batchSize: settings.batchSize,
          maximumBatchingWindowSeconds: settings.maximumBatchingWindowSeconds,
          maximumConcurrency: settings.maximumConcurrency,
          retryDelaySeconds: options.retryDelaySeconds ?? 1,
          onBatch: (report) => stack?.recordBatch(stage, report),
          faults,
        });
      };
      stack = new LocalStack({
        options: { ...options, stateDir },
        databases,
        aws,
        schedule,
        mappings: { transform: mapping('transform', transform), load: mapping('load', load) },
        sqs,
        handlerModules: modules,
        functionLog,
        uninstallPostgresFaults,
        lock,
      });
      stack.writeRuntimeInfo(startedAt);
      lock.setPhase('running');
      return stack;
    } catch (error) {
      uninstallPostgresFaults();
      await aws?.stop();
      await databases.stop();
      await functionLog?.close();
      removeRuntimeFiles(stateDir);
      await lock.release();
      throw error;
    }
  }

  private writeRuntimeInfo(startedAt: string): void {
    writeRuntimeFiles(
      this.options.stateDir,
      {
        pid: process.pid,
        startedAt,
        stateDir: this.options.stateDir,
        phase: 'running',
        endpoints: this.aws.endpoints,
        prefix: this.resources.prefix,
      },
      { sourceUrl: this.sourceUrl, warehouseUrl: this.warehouseUrl },
    );
  }

  recordExtract(outcome: InvocationOutcome<unknown>): void {
    this.lastExtract = outcome;
    const c = this.counters.extract;
    c.invocations++;
    c.busyMs += outcome.durationMs;
    if (!outcome.ok) {
      c.invocationErrors++;
      c.lastError = describe(outcome.error);
    }
  }

  recordBatch(stage: 'transform' | 'load', report: BatchReport): void {
    const c = this.counters[stage];
    if (report.received > 0) {
      c.batches++;
      c.invocations++;
    }
    c.recordsSucceeded += report.succeeded;
    c.recordsFailed += report.failed;
    c.busyMs += report.durationMs;
    if (report.invocationError !== undefined) {
      c.invocationErrors++;
      c.lastError = describe(report.invocationError);
    }
  }

  /** Starts the schedule and the event source mappings (what `npm start` runs). */
  startPipeline(): void {
    this.mappings.transform.start();
    this.mappings.load.start();
    this.schedule.start();
  }

  /** Starts only the consumers (`run --once` fires the extract itself). */
  startConsumers(): void {
    this.mappings.transform.start();
    this.mappings.load.start();
  }

  /** Stops the queue pollers (a long poll in progress ends first, within 1 s); start them again later. */
  async stopConsumers(): Promise<void> {
    await Promise.all([this.mappings.transform.stop(), this.mappings.load.stop()]);
  }

  /** Visible, in-flight and delayed messages of one queue. */
  async queueDepth(name: string): Promise<number> {
    const url = this.aws.queueUrls[name];
    if (!url) throw new Error(`queue ${name} is not part of this stack`);
    return totalMessages(await queueDepth(this.sqs, url));
  }

  /** Messages in the main queues (DLQs excluded). */
  async pendingMessages(): Promise<number> {
    let total = 0;
    for (const queue of Object.values(this.resources.queues)) total += await this.queueDepth(queue.name);
    return total;
  }

  /**
   * Resolves once both main queues are empty and no handler runs, twice in a row (a message
   * resting in a DLQ counts as drained). Rejects after `timeoutMs`.
   *
   * Checked every DRAIN_CHECK_MS: the check is cheap (two queue-depth reads from the in-process
   * emulator), and its interval is pure measurement overhead in `runOnce` and the benchmark
   * (AWS has no such step), so it is kept short: at 150 ms the two quiet checks added 0.3–0.45 s
   * to every full-load and incremental figure.
   */
  async waitUntilDrained(timeoutMs = 10 * 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 2) {
      if (Date.now() > deadline) throw new Error(`the pipeline did not drain within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
      const busy =
        this.schedule.running ||
        this.mappings.transform.inFlight > 0 ||
        this.mappings.load.inFlight > 0 ||
        (await this.pendingMessages()) > 0;
      quietChecks = busy ? 0 : quietChecks + 1;
    }
  }

  async stop(): Promise<void> {
    await this.schedule.stop();
    await Promise.all([this.mappings.transform.stop(), this.mappings.load.stop()]);
    this.sqs.destroy();
    removeRuntimeFiles(this.options.stateDir);
    await this.aws.stop();
    await this.databases.stop();
    this.uninstallPostgresFaults();
    await this.functionLog?.close();
    await this.lock.release();
  }
}

/**
 * Creates the state folder private (0700) and makes its files private to their owner from here
 * on (umask 077: the logs, the emulators' files, LevelDB's). A folder from an older version (0755,
 * files 0644) is tightened; as root, embedded-postgres.ts then opens it to 0711 so the PostgreSQL
 * system user can pass through to its data folder, and no further.
 */
export function prepareStateFolder(stateDir: string): string {
  process.umask(process.umask() | 0o077);
  // An existing folder keeps at most its pass-through bits (a home folder given as --state-dir).
  ensurePrivateDir(stateDir, 0o011);
  return stateDir;
}

function emptyCounters(): StageCounters {
  return {
    invocations: 0,
    batches: 0,
    recordsSucceeded: 0,
    recordsFailed: 0,
    invocationErrors: 0,
    busyMs: 0,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What `fn` prints goes to the function log (see FunctionLog). */
type AsFunction = <T>(work: () => T) => T;

async function loadFunction<E, R>(
  moduleUrl: string,
  stage: Stage,
  resources: PipelineResources,
  asFunction: AsFunction,
): Promise<LocalFunction<E, R>> {
  const module = (await asFunction(() => import(moduleUrl))) as {
    handler: LocalFunction<E, R>['handler'];
  };
  const declared = resources.functions[stage];
  return {
    name: declared.name,
    timeoutSeconds: declared.timeoutSeconds,
    memoryMb: declared.memoryMb,
    handler: (event, context) => asFunction(() => module.handler(event, context)),
  };
}

/**
 * The load function with a crash injected after the warehouse COMMIT and before the consumer marks
 * the record done (the handler's own afterCommit seam): the record fails (or, with
 * post-commit-kill, the process dies), comes back, and the load ledger must turn the second
 * application into a no-op.
 */
async function faultedLoadFunction(
  moduleUrl: string,
  faults: FaultInjector,
  resources: PipelineResources,
  asFunction: AsFunction,
): Promise<LocalFunction<SQSEvent, SQSBatchResponse | undefined>> {
  const { createLoadHandler } = (await asFunction(
    () => import(moduleUrl),
  )) as typeof import('../../lambdas/load/handler.ts');
  const handler = createLoadHandler({
    deps: {
      afterCommit: (result) => {
        // A real container death: no exception handler runs, the idempotency record stays
        // IN_PROGRESS and the message stays in flight until its visibility timeout.
        if (result.status === 'applied' && faults.draw('post-commit-kill'))
          process.kill(process.pid, 'SIGKILL');
        if (result.status === 'applied' && faults.draw('post-commit-crash'))
          throw new InjectedCrashError(
            `injected crash after COMMIT of ${result.unitId}, before the acknowledgement`,
          );
      },
    },
  }) as LocalFunction<SQSEvent, SQSBatchResponse | undefined>['handler'];
  const declared = resources.functions.load;
  return {
    name: declared.name,
    timeoutSeconds: declared.timeoutSeconds,
    memoryMb: declared.memoryMb,
    handler: (event, context) => asFunction(() => handler(event, context)),
  };
}
