/**
 * Readers of the pipeline's state, each given its client and table or queue names, so the same
 * function reads the local stand-ins and an AWS deployment (the `status` collector, `run --aws`
 * and the alarms use them).
 */
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type DatabasePool, sql } from 'slonik';
import { countRows, relationExists } from '../../../../shared/db/catalog.ts';
import { WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import {
  latestRuns,
  ledgerFreshness,
  queueDepth,
  readHeartbeat as stateHeartbeat,
  readWatermarks as stateWatermarks,
} from '../../../../shared/state/index.ts';

export interface QueueReading {
  readonly queue: string;
  readonly dlq: boolean;
  /** false: no queue of that name (wrong prefix, not deployed). */
  readonly exists: boolean;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number | null;
}

function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

export async function readQueue(
  sqs: SQSClient,
  name: string,
  dlq: boolean,
  oldestAgeSeconds: (name: string) => Promise<number | null>,
): Promise<QueueReading> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  } catch (error) {
    if (!isMissingQueue(error)) throw error;
  }
  if (!url) {
    return { queue: name, dlq, exists: false, visible: 0, inFlight: 0, delayed: 0, oldestAgeSeconds: null };
  }
  return {
    queue: name,
    dlq,
    exists: true,
    ...(await queueDepth(sqs, url)),
    oldestAgeSeconds: await oldestAgeSeconds(name),
  };
}

/** Source table → watermark, for the tables that have one (shared/state owns the item layout). */
export async function readWatermarks(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<Record<string, string>> {
  const watermarks: Record<string, string> = {};
  for (const [sourceTable, record] of await stateWatermarks(doc, table)) {
    if (record.watermark !== null) watermarks[sourceTable] = record.watermark;
  }
  return watermarks;
}

/** The last successful extract's heartbeat, null: none yet. */
export async function readHeartbeat(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<Record<string, unknown> | null> {
  const heartbeat = await stateHeartbeat(doc, table);
  return heartbeat ? { ...heartbeat } : null;
}

/** The newest `limit` runs (run ids sort by time). */
export async function readRecentRuns(
  doc: DynamoDBDocumentClient,
  table: string,
  limit: number,
): Promise<Record<string, unknown>[]> {
  return (await latestRuns(doc, table, limit)).map((run) => ({ ...run }));
}

/** One run's record, null when the extract did not record it (yet). */
export async function readRun(
  doc: DynamoDBDocumentClient,
  table: string,
  runId: string,
): Promise<Record<string, unknown> | null> {
  const { Item } = await doc.send(new GetCommand({ TableName: table, Key: { pk: 'RUN', sk: runId } }));
  return (Item as Record<string, unknown> | undefined) ?? null;
}

export interface WarehouseReading {
  /** Warehouse table → rows (0 for a table not created yet). */
  readonly rows: Record<string, number>;
  readonly unitsLoaded: number;
  /** Newest source last_updated the warehouse holds, and its age by the warehouse's clock. */
  readonly freshness: { readonly newestSourceUpdate: string | null; readonly ageSeconds: number | null };
}

export async function readWarehouse(pool: DatabasePool): Promise<WarehouseReading> {
  const rows: Record<string, number> = {};
  for (const name of WAREHOUSE_TABLES) {
    rows[name] = (await relationExists(pool, `public.${name}`))
      ? await countRows(pool, sql.identifier([name]))
      : 0;
  }
  const fresh = await ledgerFreshness(pool);
  return {
    rows,
    unitsLoaded: fresh.units,
    freshness: {
      newestSourceUpdate: fresh.newestSourceUpdate,
      ageSeconds: fresh.ageSeconds === null ? null : Math.round(fresh.ageSeconds),
    },
  };
}
