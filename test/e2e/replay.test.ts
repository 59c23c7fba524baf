/**
 * Acceptance of issue 15 item 3 (`totes replay`) through the local runtime: a transform bug ships
 * (the transform's test seam TOTES_TEST_DERIVATION_FAULT: sales orders lose the milliseconds of
 * their version key, then design names are upper-cased at the same source version), units land
 * wrongly in the warehouse and reconcile says so; the bug is fixed, `totes replay` of the window
 * writes a new generation of each unit, the pipeline transforms and loads them, and reconcile is
 * exact with every fact version the lake holds stored exactly once. Replayed again: no change. The
 * original generation delivered again afterwards (its idempotency record expired): no change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sql } from 'slonik';
import { DERIVATION_FAULT_ENV } from '../../services/lambdas/transform/derivation-fault.ts';
import { replayCommand } from '../../services/tools/cli/commands/replay.ts';
import { LOCAL_CREDENTIALS } from '../../services/tools/local-runtime/aws/index.ts';
import {
  objectCreatedMessage,
  objectCreatedRecord,
} from '../../services/tools/local-runtime/aws/s3-event.ts';
import { runOnce } from '../../services/tools/local-runtime/run-once.ts';
import { LocalStack } from '../../services/tools/local-runtime/stack.ts';
import { reconcile, renderReconcileReport } from '../../services/tools/ops/reconcile/index.ts';
import type { ReplayReport } from '../../services/tools/ops/replay/index.ts';
import { runIdTime } from '../../services/tools/ops/replay/index.ts';
import { seedSource } from '../../services/tools/simulator/seed.ts';
import { simulateEvents } from '../../services/tools/simulator/simulate.ts';
import { migrateWarehouse } from '../../shared/db/migrate.ts';
import { manifestKey } from '../../shared/lake/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { textSink } from '../support/text-sink.ts';

describe('replay scenario: a transform bug ships, is fixed, the window is replayed', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  let stack: LocalStack;
  let s3: S3Client;

  beforeAll(async () => {
    source = await createTestDatabase('replay_source');
    warehouse = await createTestDatabase('replay_warehouse');
    await seedSource(source.pool, { scale: 0.02, seed: 15 });
    await migrateWarehouse(warehouse.pool);
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-replay-'));
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: source.url,
      warehouseUrl: warehouse.url,
      retryDelaySeconds: 1,
    });
    s3 = new S3Client({
      region: stack.aws.region,
      endpoint: stack.aws.endpoints.s3,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterAll(async () => {
    delete process.env[DERIVATION_FAULT_ENV];
    s3?.destroy();
    await stack?.stop();
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function keys(bucket: string): Promise<string[]> {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'units/', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) all.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    return all;
  }

  /** Every sales order version (id + last_updated) the ingestion lake holds, each once. */
  async function lakeSalesVersions(): Promise<string[]> {
    const versions = new Set<string>();
    const bucket = stack.resources.buckets.ingestion;
    for (const key of await keys(bucket)) {
      if (!/\/sales_order\.\d{4}\.json$/.test(key)) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const object = JSON.parse(await body.Body!.transformToString()) as {
        columns: { name: string }[];
        rows: unknown[][];
      };
      const id = object.columns.findIndex((c) => c.name === 'sales_order_id');
      const updated = object.columns.findIndex((c) => c.name === 'last_updated');
      for (const row of object.rows) versions.add(`${row[id]} ${row[updated]}`);
    }
    return [...versions].sort();
  }

  async function warehouseSalesVersions(): Promise<string[]> {
    const rows = await warehouse.pool.anyFirst(sql.unsafe`
      SELECT sales_order_id || ' ' || to_char(last_updated_date, 'YYYY-MM-DD') || ' '
        || to_char(last_updated_time, 'HH24:MI:SS.MS') FROM fact_sales_order`);
    return [...(rows as string[])].sort();
  }

  /** The warehouse without the facts' surrogate ids (a replaced row gets a new one by design). */
  async function contents(): Promise<unknown[]> {
    return [
      ...(await warehouse.pool.anyFirst(sql.unsafe`
        SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
          SELECT 'design ' || d::text AS t FROM dim_design d
          UNION ALL SELECT 'staff ' || s::text FROM dim_staff s
          UNION ALL SELECT 'counterparty ' || c::text FROM dim_counterparty c
          UNION ALL SELECT 'so ' || (to_jsonb(f) - 'sales_record_id')::text FROM fact_sales_order f
          UNION ALL SELECT 'po ' || (to_jsonb(f) - 'purchase_record_id')::text FROM fact_purchase_order f
          UNION ALL SELECT 'pay ' || (to_jsonb(f) - 'payment_record_id')::text FROM fact_payment f
        ) x`)),
    ];
  }

  const generations = async () =>
    Object.fromEntries(
      (
        await warehouse.pool.any(
          sql.unsafe`SELECT run_id, max(generation) AS g FROM pipeline.load_ledger GROUP BY run_id`,
        )
      ).map((r) => {
        const row = r as { run_id: string; g: number };
        return [row.run_id, Number(row.g)];
      }),
    );

  async function replay(from: number, to: number, dryRun = false): Promise<ReplayReport> {
    const out = textSink();
    const err = textSink();
    const report = await replayCommand(
      {
        stateDir,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        dryRun,
        json: true,
      },
      { out: out.stream, err: err.stream },
    );
    expect(JSON.parse(out.text())).toEqual(report);
    return report;
  }

  let window: { from: number; to: number };
  let buggyRuns: string[];
  let fixedRun: string;

  it('the buggy transform puts wrong rows in the warehouse; reconcile finds them', async () => {
    process.env[DERIVATION_FAULT_ENV] = 'sales-time-to-second';
    const first = await runOnce(stack);
    expect(first.status).toBe('extracted');
    await simulateEvents(source.pool, { events: 60, seed: 151 });
    process.env[DERIVATION_FAULT_ENV] = 'design-name-upper';
    await source.pool.query(sql.unsafe`UPDATE design SET design_name = design_name || ' v2',
      last_updated = now() AT TIME ZONE 'UTC' WHERE design_id % 3 = 0`);
    const second = await runOnce(stack);
    expect(second.status).toBe('extracted');
    expect(first.failed + second.failed).toBe(0);
    buggyRuns = [first.runId!, second.runId!];

    const result = await reconcile(source.pool, warehouse.pool);
    expect(result.ok).toBe(false);
    expect(result.counts.fact_sales_order?.mismatches).toBeGreaterThan(0);
    expect(result.counts.dim_design?.mismatches).toBeGreaterThan(0);
    expect(await warehouseSalesVersions()).not.toEqual(await lakeSalesVersions());

    // The fix ships; a unit after it is transformed right and must be left alone by the replay.
    delete process.env[DERIVATION_FAULT_ENV];
    await simulateEvents(source.pool, { events: 20, seed: 152 });
    const third = await runOnce(stack);
    expect(third.status).toBe('extracted');
    fixedRun = third.runId!;
    window = { from: runIdTime(first.runId!)!, to: runIdTime(second.runId!)! + 1 };
  });

  it("replay --dry-run lists the window's units and writes nothing", async () => {
    const before = await keys(stack.resources.buckets.ingestion);
    const report = await replay(window.from, window.to, true);
    expect(report.dryRun).toBe(true);
    expect(report.units.map((u) => [u.runId, u.generation, u.status])).toEqual(
      buggyRuns.map((r) => [r, 2, 'would-replay']),
    );
    expect(report.totals.rows).toBeGreaterThan(0);
    expect(await keys(stack.resources.buckets.ingestion)).toEqual(before);
  });

  it('replay of the window, then the pipeline drains: reconcile exact, every lake version once', async () => {
    const report = await replay(window.from, window.to);
    expect(report.units.map((u) => [u.runId, u.generation, u.status])).toEqual(
      buggyRuns.map((r) => [r, 2, 'replayed']),
    );
    await stack.waitUntilDrained();
    expect(await generations()).toEqual({ [buggyRuns[0]!]: 2, [buggyRuns[1]!]: 2, [fixedRun]: 1 });
    // The original objects are still there, untouched; generation 2 sits beside them.
    const ingestion = await keys(stack.resources.buckets.ingestion);
    for (const run of buggyRuns) {
      expect(ingestion).toContain(manifestKey(run));
      expect(ingestion).toContain(manifestKey(run, 2));
    }
    const result = await reconcile(source.pool, warehouse.pool);
    if (!result.ok) throw new Error(renderReconcileReport(result));
    expect(result.ok).toBe(true);
    expect(await warehouseSalesVersions()).toEqual(await lakeSalesVersions());
  });

  it('replayed again: generation 3, the warehouse unchanged', async () => {
    const before = await contents();
    const report = await replay(window.from, window.to);
    expect(report.units.map((u) => [u.generation, u.replaces])).toEqual([
      [3, 2],
      [3, 2],
    ]);
    await stack.waitUntilDrained();
    expect(await generations()).toEqual({ [buggyRuns[0]!]: 3, [buggyRuns[1]!]: 3, [fixedRun]: 1 });
    expect(await contents()).toEqual(before);
    expect((await reconcile(source.pool, warehouse.pool)).ok).toBe(true);
    expect(await warehouseSalesVersions()).toEqual(await lakeSalesVersions());
  });

  it('the original (buggy) generation delivered again after its idempotency record expired: no change', async () => {
    const before = await contents();
    const dynamo = new DynamoDBClient({
      region: stack.aws.region,
      endpoint: stack.aws.endpoints.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const table = stack.resources.tables.idempotency.name;
      const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: table }));
      for (const item of Items.filter((i) => i.id?.S?.startsWith('totes-load'))) {
        await dynamo.send(new DeleteItemCommand({ TableName: table, Key: { id: item.id! } }));
      }
    } finally {
      dynamo.destroy();
    }
    const bucket = stack.resources.buckets.processed;
    const { QueueUrl } = await stack.sqs.send(
      new GetQueueUrlCommand({ QueueName: stack.resources.queues.load.name }),
    );
    for (const run of buggyRuns) {
      const key = manifestKey(run);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const record = objectCreatedRecord({
        region: stack.aws.region,
        bucket,
        key,
        size: head.ContentLength ?? 0,
        eTag: head.ETag ?? '',
        sequencer: 'FFFFFFFFFFFFFFFF',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date(),
        configurationId: 'replay-test',
        requestId: 'REPLAYTEST',
        hostId: 'replay-test',
        sourceIPAddress: '127.0.0.1',
      });
      await stack.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: objectCreatedMessage([record]) }));
    }
    const okBefore = stack.counters.load.recordsSucceeded;
    await stack.waitUntilDrained();
    expect(stack.counters.load.recordsSucceeded - okBefore).toBe(buggyRuns.length);
    expect(await generations()).toEqual({ [buggyRuns[0]!]: 3, [buggyRuns[1]!]: 3, [fixedRun]: 1 });
    expect(await contents()).toEqual(before);
    expect((await reconcile(source.pool, warehouse.pool)).ok).toBe(true);
  });
});
