import { createDatabasePool } from '../../../../shared/db/pool.ts';
import type { AttachedStack } from '../../local-runtime/attach.ts';
import { localDeployment } from '../deployment/local.ts';
import type { Deployment } from '../deployment/types.ts';
import type { ScheduleStatus } from '../schedule/types.ts';
import {
  type QueueReading,
  readHeartbeat,
  readQueue,
  readRecentRuns,
  readWarehouse,
  readWatermarks,
} from './readers.ts';

export interface PipelineStatus {
  readonly target: 'local' | 'aws';
  /** The state folder, or the AWS deployment's prefix. */
  readonly description: string;
  /** Local only (null on AWS). */
  readonly stateDir: string | null;
  readonly runtimeRunning: boolean | null;
  readonly schedule: ScheduleStatus | { readonly error: string };
  readonly queues: readonly QueueReading[];
  readonly watermarks: Record<string, string>;
  readonly heartbeat: Record<string, unknown> | null;
  readonly latestRuns: readonly Record<string, unknown>[];
  /** Warehouse table → rows (empty when the warehouse could not be read: see warehouseError). */
  readonly warehouse: Record<string, number>;
  readonly unitsLoaded: number;
  /** Newest source last_updated the warehouse holds, and how old it is by the warehouse's clock. */
  readonly freshness: { readonly newestSourceUpdate: string | null; readonly ageSeconds: number | null };
  /** Why the warehouse part is missing (unreachable from here, no secret); absent when read. */
  readonly warehouseError?: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One look at a deployment, local or AWS: queues and DLQs, the schedule, watermarks, heartbeat,
 * recent runs (state table), then warehouse rows and freshness. The warehouse is often out of
 * reach from a laptop on AWS (a private subnet): its failure is reported in the result, the rest
 * still shown.
 */
export async function collectStatus(
  subject: Deployment | AttachedStack,
  options: { runs?: number } = {},
): Promise<PipelineStatus> {
  if ('kind' in subject) return collectFrom(subject, options);
  // An attached local stack (callers that attach themselves): look through a deployment that
  // leaves the stack attached; the caller detaches it.
  const deployment = localDeployment({ ...subject, detach: async () => {} });
  try {
    return await collectFrom(deployment, options);
  } finally {
    await deployment.close();
  }
}

async function collectFrom(deployment: Deployment, options: { runs?: number }): Promise<PipelineStatus> {
  const queues: QueueReading[] = [];
  const oldest = (name: string) => deployment.oldestAgeSeconds(name);
  for (const queue of Object.values(deployment.resources.queues)) {
    queues.push(await readQueue(deployment.sqs, queue.name, false, oldest));
    queues.push(await readQueue(deployment.sqs, queue.dlqName, true, oldest));
  }
  for (const name of deployment.extraDlqs) queues.push(await readQueue(deployment.sqs, name, true, oldest));
  const table = deployment.resources.tables.state.name;
  const schedule = await deployment.schedule.status().catch((error: unknown) => ({ error: message(error) }));
  const base = {
    target: deployment.kind,
    description: deployment.description,
    stateDir: deployment.stateDir,
    runtimeRunning: deployment.runtimeRunning,
    schedule,
    queues,
    watermarks: await readWatermarks(deployment.state, table),
    heartbeat: await readHeartbeat(deployment.state, table),
    latestRuns: await readRecentRuns(deployment.state, table, options.runs ?? 5),
  };
  try {
    const pool = await createDatabasePool(await deployment.warehouseUrl(), {
      applicationName: 'totes-status',
      connectionTimeoutMs: 10_000,
    });
    try {
      const warehouse = await readWarehouse(pool);
      return {
        ...base,
        warehouse: warehouse.rows,
        unitsLoaded: warehouse.unitsLoaded,
        freshness: warehouse.freshness,
      };
    } finally {
      await pool.end();
    }
  } catch (error) {
    if (deployment.kind === 'local') throw error;
    return {
      ...base,
      warehouse: {},
      unitsLoaded: 0,
      freshness: { newestSourceUpdate: null, ageSeconds: null },
      warehouseError: message(error),
    };
  }
}

function renderSchedule(schedule: PipelineStatus['schedule']): string {
  if ('error' in schedule) return `schedule: unknown (${schedule.error})`;
  const expression = schedule.expression ? ` ${schedule.expression}` : '';
  return schedule.state === 'PAUSED'
    ? `schedule: PAUSED${schedule.changedAt ? ` since ${schedule.changedAt}` : ''}: no scheduled extract runs`
    : `schedule: ENABLED${expression}`;
}

/** `<run id>  <status>  <changed> changed / <rows> rows  <seconds>s  [error]` */
function describeRun(run: Record<string, unknown>): string {
  const parts = [String(run.sk ?? run.runId), String(run.status ?? '?')];
  if (typeof run.changedRows === 'number') parts.push(`${run.changedRows} changed / ${run.rows ?? 0} rows`);
  if (typeof run.durationMs === 'number') parts.push(`${(run.durationMs / 1000).toFixed(1)}s`);
  if (typeof run.error === 'string') parts.push(run.error);
  return parts.join('  ');
}

export function renderStatus(status: PipelineStatus): string {
  const lines: string[] = [];
  lines.push(status.target === 'local' ? status.description : `${status.description} (AWS)`);
  lines.push(renderSchedule(status.schedule));
  lines.push('queues:');
  for (const q of status.queues) {
    if (!q.exists) {
      lines.push(`  ${q.queue.padEnd(22)} not found`);
      continue;
    }
    const age = q.oldestAgeSeconds === null ? '-' : `${q.oldestAgeSeconds}s`;
    lines.push(
      `  ${q.queue.padEnd(22)} visible ${String(q.visible).padStart(5)}  in flight ${String(q.inFlight).padStart(4)}  delayed ${String(q.delayed).padStart(4)}  oldest ${age}`,
    );
  }
  const marks = Object.entries(status.watermarks);
  lines.push(marks.length ? 'watermarks:' : 'watermarks: none yet (no extract has run)');
  for (const [table, mark] of marks.sort()) lines.push(`  ${table.padEnd(16)} ${mark}`);
  if (status.heartbeat) {
    const { pk: _pk, sk: _sk, ...beat } = status.heartbeat;
    lines.push(`last extract heartbeat: ${JSON.stringify(beat)}`);
  }
  if (status.latestRuns.length) {
    lines.push('latest runs:');
    for (const run of status.latestRuns) lines.push(`  ${describeRun(run)}`);
  }
  if (status.warehouseError !== undefined) {
    lines.push(`warehouse: not read (${status.warehouseError})`);
    return lines.join('\n');
  }
  lines.push(`warehouse (${status.unitsLoaded} units loaded):`);
  for (const [table, rows] of Object.entries(status.warehouse))
    lines.push(`  ${table.padEnd(20)} ${rows.toLocaleString('en-GB')}`);
  lines.push(
    status.freshness.newestSourceUpdate
      ? `freshness: newest source change loaded ${status.freshness.newestSourceUpdate} (${status.freshness.ageSeconds}s ago)`
      : 'freshness: nothing loaded yet',
  );
  return lines.join('\n');
}
