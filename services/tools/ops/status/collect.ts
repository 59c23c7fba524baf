import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sql } from 'slonik';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import { PIPELINE_SCHEMA, WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
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
    const watermarkItems = await dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'WATERMARK' },
      }),
    );
    const watermarks: Record<string, string> = {};
    for (const item of watermarkItems.Items ?? []) {
      watermarks[String(item.sk)] = String(item.watermark ?? item.value ?? JSON.stringify(item));
    }
    const heartbeat = await dynamo.send(
      new GetCommand({ TableName: table, Key: { pk: 'HEARTBEAT', sk: 'extract' } }),
    );
    const runs = await dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'RUN' },
        ScanIndexForward: false,
        Limit: options.runs ?? 5,
      }),
    );
    const pool = await createDatabasePool(stack.warehouseUrl, { applicationName: 'totes-status' });
    try {
      const warehouse: Record<string, number> = {};
      for (const name of WAREHOUSE_TABLES) {
        const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass(${`public.${name}`}) IS NOT NULL`);
        warehouse[name] = exists
          ? Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([name])}`))
          : 0;
      }
      const ledger = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
      const hasLedger = await pool.oneFirst(
        sql.unsafe`SELECT to_regclass('pipeline.load_ledger') IS NOT NULL`,
      );
      const fresh: { units: number; newest: string | null; age: number | null } = hasLedger
        ? ((await pool.one(sql.unsafe`
            SELECT count(*) AS units,
                   to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') AS newest,
                   extract(epoch FROM (now() AT TIME ZONE 'UTC') - max("newest_source_update"))::float8 AS age
            FROM ${ledger}`)) as { units: number; newest: string | null; age: number | null })
        : { units: 0, newest: null, age: null };
      return {
        stateDir: stack.stateDir,
        runtimeRunning: stack.running,
        queues,
        watermarks,
        heartbeat: (heartbeat.Item as Record<string, unknown> | undefined) ?? null,
        latestRuns: (runs.Items ?? []) as Record<string, unknown>[],
        warehouse,
        unitsLoaded: Number(fresh.units),
        freshness: {
          newestSourceUpdate: fresh.newest,
          ageSeconds: fresh.age === null ? null : Math.round(Number(fresh.age)),
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

const text = (value: unknown, fallback = '-') =>
  value === undefined || value === null || value === '' ? fallback : String(value);
const count = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-GB') : text(value));

/** `2026-11-28T02:09:08.260Z, run 2026…-74fec048 extracted, 55 changed of 120 rows`. */
export function describeHeartbeat(heartbeat: Record<string, unknown>): string {
  return `${text(heartbeat.at)}, run ${text(heartbeat.runId)} ${text(heartbeat.status)}, ${count(heartbeat.changedRows)} changed of ${count(heartbeat.rows)} rows`;
}

/** One run record as a line: id, status, rows, duration, and the error of a failed run. */
export function describeRun(run: Record<string, unknown>): string {
  const seconds = typeof run.durationMs === 'number' ? `${(run.durationMs / 1000).toFixed(1)}s` : '-';
  const error = run.error ? `  error: ${text(run.error)}` : '';
  return `${text(run.runId ?? run.sk)}  ${text(run.status).padEnd(9)}  ${count(run.changedRows)} changed, ${count(run.rows)} rows  ${seconds}${error}`;
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
  lines.push(
    status.heartbeat
      ? `last extract heartbeat: ${describeHeartbeat(status.heartbeat)}`
      : 'last extract heartbeat: none yet',
  );
  if (status.latestRuns.length) {
    lines.push('latest runs:');
    for (const run of status.latestRuns) lines.push(`  ${describeRun(run)}`);
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
