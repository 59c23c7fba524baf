/**
 * The extract Lambda, invoked by the EventBridge schedule (rate 5 minutes). Thin: configuration,
 * clients and the source pool (created once per container, lazily), then runExtract.
 * An unreachable source or a failing query throws, so the invocation errors and alarms fire.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { DatabasePool } from 'slonik';
import { dynamoDbDocumentClient, s3Client } from '../../../shared/aws/clients.ts';
import { ENV, requireEnv } from '../../../shared/config/env.ts';
import { resolveDatabaseUrl } from '../../../shared/db/credentials.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { metricsNamespace } from '../../../shared/metrics/namespace.ts';
import { type ExtractDeps, type ExtractResult, runExtract } from './run-extract.ts';

const logger = new Logger({ serviceName: process.env[ENV.serviceName] ?? 'totes-extract' });
const metrics = new Metrics({
  namespace: metricsNamespace(),
  serviceName: process.env[ENV.serviceName] ?? 'totes-extract',
});

let pool: Promise<DatabasePool> | undefined;
let deps: Omit<ExtractDeps, 'pool'> | undefined;

function sourcePool(): Promise<DatabasePool> {
  pool ??= resolveDatabaseUrl(ENV.totesysUrl, ENV.totesysSecretId)
    .then((url) => createDatabasePool(url, { maximumPoolSize: 2, applicationName: 'totes-extract' }))
    .catch((error: unknown) => {
      pool = undefined; // retry the secret / connection on the next invocation
      throw error;
    });
  return pool;
}

/** Ends the container's source pool (local runtime shutdown, tests); the next call reconnects. */
export async function closeSourcePool(): Promise<void> {
  const current = pool;
  pool = undefined;
  if (current) await (await current.catch(() => undefined))?.end();
}

/** Optional tuning (locally the margin can be seconds); unset means the defaults of run-extract.ts. */
function positiveInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

export async function handler(event: ScheduledEvent | undefined, context: Context): Promise<ExtractResult> {
  // Every log line carries the Lambda context (function_request_id, cold_start, ...), and the
  // first invocation of a container emits `ColdStart` (as Powertools' middlewares do).
  logger.addContext(context);
  logger.resetKeys();
  metrics.captureColdStartMetric(context.functionName);
  if (event?.id) logger.appendKeys({ scheduleEventId: event.id });
  try {
    deps ??= {
      s3: s3Client(),
      dynamo: dynamoDbDocumentClient(),
      bucket: requireEnv(ENV.ingestionBucket),
      stateTable: requireEnv(ENV.stateTable),
      logger,
      metrics,
    };
    const safetyMarginMs = positiveInt(ENV.extractSafetyMarginMs);
    const partSize = positiveInt(ENV.extractPartSize);
    const maxUnitRows = positiveInt(ENV.extractUnitRows);
    const maxRunRows = positiveInt(ENV.extractRunRows);
    return await runExtract(
      { ...deps, pool: await sourcePool() },
      {
        // The lease outlives the invocation's deadline slightly, so a second invocation can only
        // start once this one is surely dead; a crashed run's lease expires by itself.
        leaseMs: context.getRemainingTimeInMillis() + 30_000,
        ...(safetyMarginMs === undefined ? {} : { safetyMarginMs }),
        ...(partSize === undefined ? {} : { partSize }),
        ...(maxUnitRows === undefined ? {} : { maxUnitRows }),
        ...(maxRunRows === undefined ? {} : { maxRunRows }),
      },
    );
  } catch (error) {
    logger.error('extract invocation failed', error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
