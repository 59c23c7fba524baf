import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sql } from 'slonik';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import { WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import {
  latestRuns,
  ledgerFreshness,
  readHeartbeat,
  readWatermarks,
} from '../../../../shared/state/index.ts';
import type { AttachedStack } from '../../local-runtime/attach.ts';
import { type QueueStats, queueStats } from '../queues.ts';

export interface PipelineStatus {
  readonly stateDir: string;
  readonly runtimeRunning: boolean;
  readonly queues: readonly (QueueStats & { readonly dlq: boolean })[];
  readonly watermarks: Record<string, string>;
  readonly heartbeat: Record<string, unknown> | null;
  readonly latestRuns: readonly Record<string, unknown>[];
  /** Warehouse table → rows. */
  readonly warehouse: Record<string, number>;
  readonly unitsLoaded: number;
  /** Newest source last_updated the warehouse holds, and how old it is by the warehouse's clock. */
  readonly freshness: { readonly newestSourceUpdate: string | null; readonly ageSeconds: number | null };
}

export async function collectStatus(
  stack: AttachedStack,
  options: { runs?: number } = {},
): Promise<PipelineStatus> {
  const clientOptions = {
    region: stack.region,
    credentials: {
      accessKeyId: stack.awsEnv.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: stack.awsEnv.AWS_SECRET_ACCESS_KEY ?? 'local',
    },
  };
  const sqs = new SQSClient({ ...clientOptions, endpoint: stack.endpoints.sqs });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientOptions, endpoint: stack.endpoints.dynamodb }),
  );
  try {
    const queues: (QueueStats & { dlq: boolean })[] = [];
    for (const queue of Object.values(stack.resources.queues)) {
      queues.push({
        ...(await queueStats(sqs, queue.name, { localEndpoint: stack.endpoints.sqs })),
        dlq: false,
      });
      queues.push({
        ...(await queueStats(sqs, queue.dlqName, { localEndpoint: stack.endpoints.sqs })),
        dlq: true,
      });
    }
    const table = stack.resources.tables.state.name;
    const watermarks: Record<string, string> = {};
    for (const [sourceTable, record] of await readWatermarks(dynamo, table)) {
      if (record.watermark !== null) watermarks[sourceTable] = record.watermark;
    }
    const heartbeat = await readHeartbeat(dynamo, table);
    const runs = await latestRuns(dynamo, table, options.runs ?? 5);
    const pool = await createDatabasePool(stack.warehouseUrl, { applicationName: 'totes-status' });
    try {
      const warehouse: Record<string, number> = {};
      for (const name of WAREHOUSE_TABLES) {
        const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass(${`public.${name}`}) IS NOT NULL`);
        warehouse[name] = exists
          ? Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([name])}`))
          : 0;
      }
      const fresh = await ledgerFreshness(pool);
      return {
        stateDir: stack.stateDir,
        runtimeRunning: stack.running,
        queues,
        watermarks,
        heartbeat: heartbeat ? { ...heartbeat } : null,
        latestRuns: runs.map((run) => ({ ...run })),
        warehouse,
        unitsLoaded: fresh.units,
        freshness: {
          newestSourceUpdate: fresh.newestSourceUpdate,
          ageSeconds: fresh.ageSeconds === null ? null : Math.round(fresh.ageSeconds),
        },
      };
    } finally {
      await pool.end();
    }
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}

export function renderStatus(status: PipelineStatus): string {
  const lines: string[] = [];
  lines.push(
    `state folder: ${status.stateDir} (runtime ${status.runtimeRunning ? 'running' : 'not running'})`,
  );
  lines.push('queues:');
  for (const q of status.queues) {
    const age = q.oldestAgeSeconds === null ? '-' : `${q.oldestAgeSeconds}s`;
    lines.push(
      `  ${q.queue.padEnd(22)} visible ${String(q.visible).padStart(5)}  in flight ${String(q.inFlight).padStart(4)}  delayed ${String(q.delayed).padStart(4)}  oldest ${age}`,
    );
  }
  const marks = Object.entries(status.watermarks);
  lines.push(marks.length ? 'watermarks:' : 'watermarks: none yet (no extract has run)');
  for (const [table, mark] of marks.sort()) lines.push(`  ${table.padEnd(16)} ${mark}`);
  if (status.heartbeat) lines.push(`last extract heartbeat: ${JSON.stringify(status.heartbeat)}`);
  if (status.latestRuns.length) {
    lines.push('latest runs:');
    for (const run of status.latestRuns)
      lines.push(`  ${String(run.sk)}  ${JSON.stringify({ ...run, pk: undefined, sk: undefined })}`);
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
