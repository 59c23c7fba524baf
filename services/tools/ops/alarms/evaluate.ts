/**
 * `evaluateAlarms(stack)`: the "local" alarms of shared/config/alarms.json against a local stack,
 * either the running LocalStack (the `npm start` display) or an attached one (`totes alarms`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type DatabasePool, sql } from 'slonik';
import { alarmsFor } from '../../../../shared/config/alarms.ts';
import type { PipelineResources } from '../../../../shared/config/resources.ts';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import { failureStore } from '../../../../shared/failures/index.ts';
import { SOURCE_TABLE_NAMES } from '../../../../shared/schema/totesys.ts';
import type { AttachedStack } from '../../local-runtime/attach.ts';
import type { LocalStack } from '../../local-runtime/stack.ts';
import { queueStats } from '../queues.ts';
import { type AlarmObservations, type AlarmState, evaluateRules } from './rules.ts';

export type AlarmSubject = LocalStack | AttachedStack;

interface Subject {
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
  readonly region: string;
  readonly resources: PipelineResources;
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
}

function subjectOf(stack: AlarmSubject): Subject {
  if ('aws' in stack) {
    return {
      endpoints: stack.aws.endpoints,
      region: stack.aws.region,
      resources: stack.resources,
      sourceUrl: stack.sourceUrl,
      warehouseUrl: stack.warehouseUrl,
    };
  }
  return stack;
}

async function withPool<T>(url: string, name: string, run: (pool: DatabasePool) => Promise<T>): Promise<T> {
  const pool = await createDatabasePool(url, { applicationName: name });
  try {
    return await run(pool);
  } finally {
    await pool.end();
  }
}

/**
 * How late the warehouse is: the age of the oldest source change newer than the newest change
 * the warehouse holds (pipeline.load_ledger.newest_source_update); 0 when it holds the newest
 * change. A quiet source is not late. Without the source, the ledger's newest change against now.
 */
export async function measureFreshness(
  sourceUrl: string,
  warehouseUrl: string,
): Promise<AlarmObservations['freshness']> {
  const ledger = await withPool(warehouseUrl, 'totes-alarms', async (pool) => {
    const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass('pipeline.load_ledger') IS NOT NULL`);
    if (!exists) return { newest: null, age: null };
    return (await pool.one(sql.unsafe`
      SELECT to_char(max("newest_source_update"), 'YYYY-MM-DD HH24:MI:SS.MS') AS newest,
             extract(epoch FROM (now() AT TIME ZONE 'UTC') - max("newest_source_update"))::float8 AS age
      FROM "pipeline"."load_ledger"`)) as { newest: string | null; age: number | null };
  });
  try {
    const oldestUnloaded = await withPool(sourceUrl, 'totes-alarms', async (pool) => {
      let oldest: number | null = null;
      for (const table of SOURCE_TABLE_NAMES) {
        const exists = await pool.oneFirst(sql.unsafe`SELECT to_regclass(${`public.${table}`}) IS NOT NULL`);
        if (!exists) continue;
        const after =
          ledger.newest === null
            ? sql.fragment`TRUE`
            : sql.fragment`"last_updated" > ${ledger.newest}::timestamp`;
        const age = (await pool.oneFirst(sql.unsafe`
          SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - min("last_updated"))::float8
          FROM ${sql.identifier([table])} WHERE ${after}`)) as number | null;
        if (age !== null && (oldest === null || age > oldest)) oldest = age;
      }
      return oldest;
    });
    if (oldestUnloaded === null) {
      return {
        lagSeconds: 0,
        detail: ledger.newest
          ? `warehouse holds the newest source change (${ledger.newest})`
          : 'nothing to load (the source has no rows)',
      };
    }
    const lag = Math.max(0, Math.round(oldestUnloaded));
    return {
      lagSeconds: lag,
      detail: `oldest source change not yet in the warehouse is ${lag}s old (warehouse newest: ${ledger.newest ?? 'nothing loaded'})`,
    };
  } catch (error) {
    if (ledger.age === null)
      return {
        lagSeconds: null,
        detail: `nothing loaded; source not readable (${(error as Error).message})`,
      };
    const lag = Math.max(0, Math.round(Number(ledger.age)));
    return {
      lagSeconds: lag,
      detail: `newest change in the warehouse (${ledger.newest}) is ${lag}s old; source not readable (${(error as Error).message})`,
    };
  }
}

/** The database time a run id starts with ('20261128T020908260Z-…'), as ISO; null if it has none. */
function runIdTime(runId: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(runId);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z` : null;
}

export async function observe(stack: AlarmSubject, now = Date.now()): Promise<AlarmObservations> {
  const s = subjectOf(stack);
  const clientOptions = { region: s.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sqs = new SQSClient({ ...clientOptions, endpoint: s.endpoints.sqs });
  const dynamo = new DynamoDBClient({ ...clientOptions, endpoint: s.endpoints.dynamodb });
  const doc = DynamoDBDocumentClient.from(dynamo);
  try {
    const queues: Record<string, { visible: number; oldestAgeSeconds: number | null }> = {};
    for (const queue of Object.values(s.resources.queues)) {
      for (const name of [queue.name, queue.dlqName]) {
        // A deleted queue is a finding for its alarm ("queue … not found"), not a crash.
        const stats = await queueStats(sqs, name, { localEndpoint: s.endpoints.sqs }).catch(
          (error: unknown) => {
            if ((error as { name?: string }).name === 'QueueDoesNotExist') return undefined;
            throw error;
          },
        );
        if (stats) queues[name] = { visible: stats.visible, oldestAgeSeconds: stats.oldestAgeSeconds };
      }
    }
    const table = s.resources.tables.state.name;
    const failures: Record<string, string[]> = {};
    const store = failureStore({ tableName: table, client: doc });
    for (const queue of Object.values(s.resources.queues)) {
      failures[queue.consumer] = (await store.list(queue.consumer)).map((f) => f.failedAt);
    }
    const heartbeat = await doc.send(
      new GetCommand({ TableName: table, Key: { pk: 'HEARTBEAT', sk: 'extract' } }),
    );
    const runs = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'RUN' },
        ScanIndexForward: false,
        Limit: 20,
      }),
    );
    const runItems = runs.Items ?? [];
    let lastSuccessfulExtract = typeof heartbeat.Item?.at === 'string' ? heartbeat.Item.at : null;
    if (lastSuccessfulExtract === null) {
      const ok = runItems.find((r) => r.status !== 'failed' && typeof r.extractedAt === 'string');
      lastSuccessfulExtract = ok ? String(ok.extractedAt) : null;
    }
    const extractRuns = runItems
      .filter((r) => typeof r.sk === 'string')
      .map((r) => ({
        at: runIdTime(String(r.sk)) ?? String(r.extractedAt ?? ''),
        unobservable: Array.isArray(r.unobservable) ? r.unobservable.map(String) : null,
      }));
    const drift = (await doc.send(new GetCommand({ TableName: table, Key: { pk: 'DRIFT', sk: 'extract' } })))
      .Item;
    return {
      now,
      queues,
      failures,
      lastSuccessfulExtract,
      extractRuns,
      schemaDrift:
        drift && typeof drift.at === 'string'
          ? {
              at: drift.at,
              findings: Number(drift.findings ?? 0),
              incompatible: Number(drift.incompatible ?? 0),
              subjects: Array.isArray(drift.subjects) ? drift.subjects.map(String) : [],
            }
          : null,
      freshness: await measureFreshness(s.sourceUrl, s.warehouseUrl),
    };
  } finally {
    sqs.destroy();
    doc.destroy();
    dynamo.destroy();
  }
}

/** The state of every "local" alarm (shared/config/alarms.json) for the stack, in definition order. */
export async function evaluateAlarms(
  stack: AlarmSubject,
  options: { now?: number } = {},
): Promise<AlarmState[]> {
  const s = subjectOf(stack);
  return evaluateRules(alarmsFor('local', s.resources.prefix), await observe(stack, options.now));
}
