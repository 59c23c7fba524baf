/**
 * The console's target on an AWS deployment, read through the same readers as the `--aws`
 * commands: `totes status --aws`'s collector on ops/deployment's awsDeployment (queues and DLQs
 * with CloudWatch's oldest-message age, the schedule rule, watermarks, heartbeat and runs from the
 * state table), `totes alarms --aws`'s DescribeAlarms reader, `totes dlq --aws`'s awsTarget for the
 * dead letters, and the stage metrics of shared/metrics (GetMetricData) for the throughput. The
 * warehouse only when a URL is given: it usually sits in a private subnet, and the console does
 * not go looking for its secret (a page that polls would open a connection attempt every time).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { describeDeployedAlarms } from '../ops/alarms/index.ts';
import { nameAwsCalls } from '../ops/aws-errors.ts';
import { awsDeployment, type Deployment, WarehouseUrlError } from '../ops/deployment/index.ts';
import { awsTarget as awsDlqTarget, type OpsTarget } from '../ops/dlq/index.ts';
import { collectStatus } from '../ops/status/collect.ts';
import { cloudWatchThroughput } from './readers/cloudwatch-throughput.ts';
import { OpsDeadLetterReader } from './readers/dead-letter-reader.ts';
import { PipelineSnapshotReader } from './readers/pipeline-snapshot-reader.ts';
import { WarehouseReader } from './readers/warehouse-reader.ts';
import type { ConsoleTarget } from './target.ts';

/** What the Pipeline page says when no warehouse URL was given. */
export const WAREHOUSE_NOT_CONFIGURED =
  'no warehouse configured for this console (give --warehouse-url or WAREHOUSE_URL with a URL reachable from here, e.g. through a tunnel)';

export interface AwsConsoleOptions {
  readonly prefix: string;
  /** `--warehouse-url` / WAREHOUSE_URL; undefined: the warehouse parts say none is configured. */
  readonly warehouseUrl?: string | undefined;
  /** Folder for the redrive / purge backup files (as `totes dlq --aws`: the working folder). */
  readonly backupDir: string;
  /** Clients to use instead of new ones (tests); each defaults to the standard AWS chain. */
  readonly clients?: {
    readonly sqs?: SQSClient;
    readonly dynamo?: DynamoDBClient;
    readonly cloudwatch?: CloudWatchClient;
    readonly events?: EventBridgeClient;
  };
  /** How long a pipeline snapshot serves every page (default 10 s: each read costs AWS calls). */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/** Seconds between scheduled extracts from an EventBridge `rate(...)` expression; null otherwise. */
export function rateSeconds(expression: string | null | undefined): number | null {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression ?? '');
  if (!match) return null;
  const unit = match[2]!.startsWith('minute') ? 60 : match[2]!.startsWith('hour') ? 3600 : 86_400;
  return Number(match[1]) * unit;
}

export async function openAwsTarget(options: AwsConsoleOptions): Promise<ConsoleTarget> {
  const given = options.clients ?? {};
  const owned: { destroy(): void }[] = [];
  const own = <T extends { destroy(): void; middlewareStack: unknown }>(
    client: T | undefined,
    make: () => T,
  ) => {
    if (client) return nameAwsCalls(client);
    const made = nameAwsCalls(make());
    owned.push(made);
    return made;
  };
  const sqs = own(given.sqs, () => new SQSClient({}));
  const dynamo = own(given.dynamo, () => new DynamoDBClient({}));
  const cloudwatch = own(given.cloudwatch, () => new CloudWatchClient({}));
  const events = own(given.events, () => new EventBridgeClient({}));
  const now = options.now ?? Date.now;
  const region = await sqs.config.region();

  const base = awsDeployment({ prefix: options.prefix, clients: { sqs, dynamo, cloudwatch, events }, now });
  // The status collector reads the warehouse only through `warehouseUrl()`: the given URL, or a
  // clear "not configured" (never the deployment's secret, see above).
  const deployment: Deployment = {
    ...base,
    warehouseUrl: () =>
      options.warehouseUrl
        ? Promise.resolve(options.warehouseUrl)
        : Promise.reject(new WarehouseUrlError(WAREHOUSE_NOT_CONFIGURED)),
  };
  let pool: DatabasePool | null = null;
  let dlqs: OpsTarget | undefined;
  try {
    if (options.warehouseUrl) {
      pool = await createDatabasePool(options.warehouseUrl, {
        applicationName: 'totes-console',
        maximumPoolSize: 3,
        connectionTimeoutMs: 10_000,
      });
    }
    // The same clients as the status: the DLQ target's own close would destroy them, so it is not
    // called (its DynamoDB document client holds nothing of its own); close() below destroys ours.
    dlqs = awsDlqTarget({ prefix: options.prefix, backupDir: options.backupDir, sqs, dynamo });
  } catch (error) {
    await pool?.end();
    for (const client of owned) client.destroy();
    throw error;
  }
  const opsTarget = dlqs;
  let scheduleSeconds: number | null = null;
  return {
    kind: 'aws',
    description: `deployment "${options.prefix}" in ${region}${options.warehouseUrl ? '' : ' (no warehouse configured)'}`,
    pipeline: new PipelineSnapshotReader({
      resources: deployment.resources,
      status: async () => {
        const status = await collectStatus(deployment, { runs: 10 });
        if (!('error' in status.schedule)) scheduleSeconds = rateSeconds(status.schedule.expression);
        return status;
      },
      alarms: () => describeDeployedAlarms(cloudwatch, options.prefix),
      warehouse: pool,
      // Without a warehouse, the load's metrics; with one, its ledger (exact, as locally).
      ...(pool
        ? {}
        : {
            throughput: {
              name: 'the load’s CloudWatch metrics (UnitsLoaded, RowsInserted, RowsUpdated)',
              read: () => cloudWatchThroughput(cloudwatch, { prefix: options.prefix, now: now() }),
            },
          }),
      get scheduleSeconds() {
        return scheduleSeconds;
      },
      cacheMs: options.cacheMs ?? 10_000,
      alarmsEveryMs: 30_000,
    }),
    deadLetters: new OpsDeadLetterReader(opsTarget),
    warehouse: pool ? new WarehouseReader(pool) : null,
    async close() {
      await base.close();
      await pool?.end();
      for (const client of owned) client.destroy();
    },
  };
}
