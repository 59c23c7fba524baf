/**
 * The console's target on the local stack: the running `totes start` (its LocalStack, with the
 * consumers' counters) or a state folder attached like `totes status` does.
 */
import { createDatabasePool } from '../../../shared/db/pool.ts';
import type { AttachedStack } from '../local-runtime/attach.ts';
import type { LocalStack } from '../local-runtime/stack.ts';
import { evaluateAlarms } from '../ops/alarms/index.ts';
import { localTarget } from '../ops/dlq/index.ts';
import { collectStatus } from '../ops/status/collect.ts';
import { OpsDeadLetterReader } from './readers/dead-letter-reader.ts';
import { PipelineSnapshotReader } from './readers/pipeline-snapshot-reader.ts';
import type { StageActivity } from './readers/pipeline-view.ts';
import { WarehouseReader } from './readers/warehouse-reader.ts';
import type { ConsoleTarget } from './target.ts';

/** A running LocalStack seen as an attached one (what the status and alarm readers take). */
export function attachedFromLocalStack(stack: LocalStack): AttachedStack {
  return {
    stateDir: stack.options.stateDir,
    running: true,
    endpoints: stack.aws.endpoints,
    awsEnv: stack.aws.env,
    region: stack.aws.region,
    resources: stack.resources,
    sourceUrl: stack.sourceUrl,
    warehouseUrl: stack.warehouseUrl,
    detach: async () => {},
  };
}

/** The in-process consumers' counters (records ok / failed, batches) of a running LocalStack. */
export function stageActivityOf(stack: LocalStack): () => { transform: StageActivity; load: StageActivity } {
  const of = (name: 'transform' | 'load'): StageActivity => ({
    ok: stack.counters[name].recordsSucceeded,
    failed: stack.counters[name].recordsFailed,
    batches: stack.counters[name].batches,
  });
  return () => ({ transform: of('transform'), load: of('load') });
}

export async function openLocalTarget(options: {
  readonly stack: AttachedStack;
  readonly scheduleSeconds: number | null;
  readonly stageActivity?: () => { transform: StageActivity; load: StageActivity };
  /** Runs after the console's own clients are closed (e.g. detach from the state folder). */
  readonly onClose?: () => Promise<void>;
}): Promise<ConsoleTarget> {
  const { stack } = options;
  const pool = await createDatabasePool(stack.warehouseUrl, {
    applicationName: 'totes-console',
    maximumPoolSize: 3,
  });
  const ops = localTarget({
    stateDir: stack.stateDir,
    endpoints: stack.endpoints,
    region: stack.region,
    resources: stack.resources,
    detach: async () => {},
  });
  return {
    kind: 'local',
    description: `state folder ${stack.stateDir}${stack.running ? '' : ' (pipeline not running)'}`,
    pipeline: new PipelineSnapshotReader({
      resources: stack.resources,
      status: () => collectStatus(stack, { runs: 10 }),
      alarms: () => evaluateAlarms(stack),
      warehouse: pool,
      scheduleSeconds: options.scheduleSeconds,
      ...(options.stageActivity ? { stageActivity: options.stageActivity } : {}),
    }),
    deadLetters: new OpsDeadLetterReader(ops),
    warehouse: new WarehouseReader(pool),
    async close() {
      await ops.close();
      await pool.end();
      await options.onClose?.();
    },
  };
}
