/**
 * `totes run --once --aws`: one extract on the deployment, followed to the warehouse. The extract
 * function is invoked synchronously (RequestResponse) with the event its EventBridge rule sends;
 * its result names the run. The run's unit is then followed through the lake: the processed
 * manifest(s) under the run's prefix tell the transform is done and which load units to expect,
 * and the warehouse's load ledger tells each is applied. Failure records of the run's objects are
 * reported as they appear (a record is retried; it fails for good in its DLQ).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { extractScheduleRuleName } from '../../../../shared/config/resources.ts';
import { createDatabasePool } from '../../../../shared/db/pool.ts';
import { failureStore } from '../../../../shared/failures/index.ts';
import { isManifestKey, type ProcessedManifest, unitPrefix } from '../../../../shared/lake/index.ts';
import { loadedUnitsOfRun, rowsLoadedByRun } from '../../../../shared/state/index.ts';
import { scheduledEvent } from '../../local-runtime/lambda/schedule.ts';
import type { RunSummary } from '../../local-runtime/run-once.ts';
import type { Deployment } from '../deployment/types.ts';
import { sleepUnlessAborted } from '../logs/sleep.ts';
import { readQueue } from '../status/readers.ts';

export interface FollowOptions {
  /** Give up following after this long (the extract itself is not cut short). */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** The warehouse's load ledger (default: a pool on the deployment's warehouse URL). */
  readonly ledger?: LedgerReader;
}

/** What the follower asks the warehouse's load ledger (pipeline.load_ledger). */
export interface LedgerReader {
  loadedUnits(runId: string): Promise<Set<string>>;
  /** Warehouse table → rows inserted or updated by the run's units. */
  rows(runId: string): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface AwsRunSummary extends RunSummary {
  /** Load units of the run (processed manifests) and whether the warehouse applied each. */
  readonly units: readonly { readonly unitId: string; readonly loaded: boolean }[];
  /** true: every unit reached the warehouse before the timeout (or there was nothing to follow). */
  readonly complete: boolean;
  /** Failure records of the run's objects: stage, key and error, newest state. */
  readonly failures: readonly {
    readonly stage: string;
    readonly key: string | null;
    readonly error: string;
  }[];
}

interface ExtractPayload {
  readonly status?: 'extracted' | 'unchanged' | 'skipped';
  readonly runId?: string;
  readonly rowsByTable?: Record<string, number>;
  readonly manifest?: { readonly changedRows?: Record<string, number> };
  readonly errorType?: string;
  readonly errorMessage?: string;
}

export class ExtractInvokeError extends Error {
  override name = 'ExtractInvokeError';
}

const round = (n: number) => Math.round(n * 100) / 100;

async function processedManifests(
  deployment: Deployment,
  runId: string,
  cache: Map<string, ProcessedManifest>,
): Promise<ProcessedManifest[]> {
  const bucket = deployment.resources.buckets.processed;
  let token: string | undefined;
  do {
    const page = await deployment.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: unitPrefix(runId), ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key || !isManifestKey(object.Key) || cache.has(object.Key)) continue;
      const body = await deployment.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      cache.set(object.Key, JSON.parse(await body.Body!.transformToString()) as ProcessedManifest);
    }
    token = page.NextContinuationToken;
  } while (token);
  return [...cache.values()];
}

async function runFailures(deployment: Deployment, runId: string): Promise<AwsRunSummary['failures']> {
  const store = failureStore({ tableName: deployment.resources.tables.state.name, client: deployment.state });
  const found: { stage: string; key: string | null; error: string }[] = [];
  for (const queue of Object.values(deployment.resources.queues)) {
    for (const record of await store.list(queue.consumer)) {
      if (record.key?.includes(`/${runId}/`)) {
        found.push({
          stage: record.stage,
          key: record.key,
          error: `${record.errorClass}: ${record.errorMessage}`,
        });
      }
    }
  }
  return found;
}

/** The ledger reader over the deployment's warehouse; `close` ends its pool. */
export async function warehouseLedger(deployment: Deployment): Promise<LedgerReader> {
  const pool = await createDatabasePool(await deployment.warehouseUrl(), {
    applicationName: 'totes-run',
    connectionTimeoutMs: 10_000,
  });
  return {
    loadedUnits: async (runId: string) => new Set((await loadedUnitsOfRun(pool, runId)).map((u) => u.unitId)),
    rows: (runId: string) => rowsLoadedByRun(pool, runId),
    close: () => pool.end(),
  } satisfies LedgerReader;
}

/** Invokes the deployed extract once and returns its parsed result (or the function's error). */
export async function invokeExtract(
  lambda: LambdaClient,
  deployment: Deployment,
): Promise<{ payload: ExtractPayload; functionError: string | null; seconds: number; started: number }> {
  const started = Date.now();
  const region = await lambda.config.region();
  const event = scheduledEvent(extractScheduleRuleName(deployment.resources.prefix), region);
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: deployment.resources.functions.extract.name,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  let payload: ExtractPayload = {};
  try {
    payload = text ? (JSON.parse(text) as ExtractPayload) : {};
  } catch {
    throw new ExtractInvokeError(`the extract returned something that is not JSON: ${text.slice(0, 200)}`);
  }
  return {
    payload,
    functionError: response.FunctionError ? (payload.errorMessage ?? response.FunctionError) : null,
    seconds: round((Date.now() - started) / 1000),
    started,
  };
}

export async function runOnceOnAws(
  deployment: Deployment,
  lambda: LambdaClient,
  options: FollowOptions,
): Promise<AwsRunSummary> {
  const now = options.now ?? Date.now;
  const say = options.progress ?? (() => {});
  const startedAt = now();
  say(`invoking ${deployment.resources.functions.extract.name} (RequestResponse)...`);
  const invoked = await invokeExtract(lambda, deployment);
  const runId = invoked.payload.runId ?? null;
  const dlq = async () => {
    const depths: Record<string, number> = {};
    for (const queue of Object.values(deployment.resources.queues)) {
      const reading = await readQueue(deployment.sqs, queue.dlqName, true, async () => null);
      depths[queue.dlqName] = reading.visible + reading.inFlight + reading.delayed;
    }
    return depths;
  };
  const base = {
    runId,
    extracted: {},
    changed: {},
    transformed: {},
    loaded: {},
    units: [],
    failures: [],
  };
  if (invoked.functionError !== null || !invoked.payload.status) {
    return {
      ...base,
      status: 'failed',
      extractError: invoked.functionError ?? 'the extract returned no status',
      failed: 1,
      complete: true,
      dlq: await dlq(),
      seconds: { extract: invoked.seconds, transform: 0, load: 0, total: round((now() - startedAt) / 1000) },
    };
  }
  const status = invoked.payload.status;
  if (status !== 'extracted' || !runId) {
    say(`extract ${status}${runId ? ` (${runId})` : ''}: nothing to follow`);
    return {
      ...base,
      status,
      failed: 0,
      complete: true,
      dlq: await dlq(),
      seconds: { extract: invoked.seconds, transform: 0, load: 0, total: round((now() - startedAt) / 1000) },
    };
  }
  say(
    `run ${runId} extracted; following its unit to the warehouse (up to ${Math.round(options.timeoutMs / 1000)} s)...`,
  );
  const deadline = now() + options.timeoutMs;
  const manifests = new Map<string, ProcessedManifest>();
  const ledger = options.ledger ?? (await warehouseLedger(deployment));
  let transformedAt: number | null = null;
  let loadedAt: number | null = null;
  let units: { unitId: string; loaded: boolean }[] = [];
  let failures: AwsRunSummary['failures'] = [];
  const reported = new Set<string>();
  try {
    for (;;) {
      const processed = await processedManifests(deployment, runId, manifests);
      if (processed.length > 0 && transformedAt === null) {
        transformedAt = now();
        say(`transformed: ${processed.length} load unit(s) in ${deployment.resources.buckets.processed}`);
      }
      const loaded = processed.length > 0 ? await ledger.loadedUnits(runId) : new Set<string>();
      units = processed.map((m) => ({ unitId: m.unitId, loaded: loaded.has(m.unitId) }));
      failures = await runFailures(deployment, runId);
      for (const f of failures) {
        const id = `${f.stage}:${f.key}:${f.error}`;
        if (!reported.has(id))
          say(`failure recorded in ${f.stage} for ${f.key}: ${f.error} (retried until its DLQ)`);
        reported.add(id);
      }
      if (units.length > 0 && units.every((u) => u.loaded)) {
        loadedAt = now();
        say(`loaded: every unit of ${runId} is in the warehouse`);
        break;
      }
      if (now() >= deadline || options.signal?.aborted) break;
      if (!(await sleepUnlessAborted(options.pollMs ?? 3000, options.signal))) break;
    }
    const transformed: Record<string, number> = {};
    for (const m of manifests.values())
      for (const o of m.objects) transformed[o.table] = (transformed[o.table] ?? 0) + o.rows;
    const end = now();
    return {
      ...base,
      status,
      extracted: { ...(invoked.payload.rowsByTable ?? {}) },
      changed: { ...(invoked.payload.manifest?.changedRows ?? {}) },
      transformed,
      loaded: await ledger.rows(runId),
      units,
      complete: loadedAt !== null,
      failures,
      failed: failures.length,
      dlq: await dlq(),
      seconds: {
        extract: invoked.seconds,
        transform: transformedAt === null ? 0 : round((transformedAt - startedAt) / 1000 - invoked.seconds),
        load: loadedAt === null || transformedAt === null ? 0 : round((loadedAt - transformedAt) / 1000),
        total: round((end - startedAt) / 1000),
      },
    };
  } finally {
    await ledger.close();
  }
}
