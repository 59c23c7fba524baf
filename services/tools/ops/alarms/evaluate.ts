/**
 * `evaluateAlarms(stack)`: the "local" alarms of shared/config/alarms.json against a local stack,
 * either the running LocalStack (the `npm start` display) or an attached one (`totes alarms`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DatabasePool } from 'slonik';
import { alarmsFor } from '../../../../shared/config/alarms.ts';
import type { PipelineResources } from '../../../../shared/config/resources.ts';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import {
  countHeldRows,
  failureStore,
  lastSuccessfulExtract,
  latestRuns,
  ledgerFreshness,
  oldestUnloadedSourceChangeAge,
  readSchemaDrift,
} from '../../../../shared/state/index.ts';
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
  const fresh = await withPool(warehouseUrl, 'totes-alarms', ledgerFreshness);
  const ledger = { newest: fresh.newestSourceUpdate, age: fresh.ageSeconds };
  try {
    const oldestUnloaded = await withPool(sourceUrl, 'totes-alarms', (pool) =>
      oldestUnloadedSourceChangeAge(pool, ledger.newest),
    );
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

/** Rows held in the warehouse quarantine now; a warehouse that cannot be read says so. */
export async function measureRowsHeld(warehouseUrl: string): Promise<AlarmObservations['rowsHeld']> {
  try {
    const count = await withPool(warehouseUrl, 'totes-alarms', countHeldRows);
    return {
      count,
      detail:
        count === 0
          ? 'no row held in the warehouse quarantine'
          : `${count} row${count === 1 ? '' : 's'} held in the warehouse quarantine (totes quarantine)`,
    };
  } catch (error) {
    return { count: null, detail: `warehouse not readable (${(error as Error).message})` };
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
    const extractRuns = (await latestRuns(doc, table, 20))
      .filter((r) => typeof r.sk === 'string')
      .map((r) => ({
        at: runIdTime(String(r.sk)) ?? String(r.extractedAt ?? ''),
        unobservable: Array.isArray(r.unobservable) ? r.unobservable.map(String) : null,
      }));
    return {
      now,
      queues,
      failures,
      lastSuccessfulExtract: await lastSuccessfulExtract(doc, table),
      extractRuns,
      schemaDrift: await readSchemaDrift(doc, table),
      freshness: await measureFreshness(s.sourceUrl, s.warehouseUrl),
      rowsHeld: await measureRowsHeld(s.warehouseUrl),
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
