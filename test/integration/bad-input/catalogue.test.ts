/**
 * The bad-input catalogue (issue 9), through the real local runtime: every input is an object put
 * in the ingestion or processed bucket with the S3 client (the notification bridge sends S3's own
 * event JSON to the queue) or a message sent to the queue, consumed by the real transform and load
 * handlers behind the local event source mappings (partial batch failure, maxReceiveCount 5,
 * retried after 1 s). Everything is put before the consumers start, so the bad inputs and the good
 * units share batches. Then each `it` checks one entry's documented outcome (test/bad-input/
 * README.md, bad-input catalogue): acknowledged with a log line (only the S3 TestEvent), or resting in the DLQ
 * with its reason (error class and message) in the failure store that `dlq show` joins — and that
 * nothing else was lost (the good units of the same batches are transformed and loaded; the bad
 * unit left nothing in the processed bucket or the warehouse).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sql } from 'slonik';
import type { Row } from '../../../services/lambdas/load/apply.ts';
import {
  LOCAL_CREDENTIALS,
  objectCreatedMessage,
  objectCreatedRecord,
  testEventMessage,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { LocalStack } from '../../../services/tools/local-runtime/stack.ts';
import {
  type DlqMessageView,
  localTarget,
  type OpsTarget,
  showDlq,
} from '../../../services/tools/ops/dlq/index.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { ENV } from '../../../shared/config/env.ts';
import { type FailureRecord, failureStore } from '../../../shared/failures/index.ts';
import { manifestKey, unitPrefix } from '../../../shared/lake/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { listHeldRows } from '../../../shared/state/quarantine.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { parquetOf } from '../load/lake.ts';
import { dimensionsFor, salesOrder, unit } from '../load/units.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../shared-sqs-consumer/events.ts';
import { type UnitTables, type WrittenUnit, writeUnit } from '../transform/unit-builder.ts';

/** The memory budget for this run (MAX_OBJECT_BYTES): small, so a too-large object is cheap to make. */
const MAX_OBJECT_BYTES = 64 * 1024;
const SQL_NAME = `Robert'); DROP TABLE "dim_staff"; --`;
const SQL_ADDRESS = `$$; DROP TABLE "fact_sales_order"; $$ 1 O'Connell St`;
const SQL_STAFF = `O'Keefe"; DELETE FROM "dim_date"; --`;
/** A run id whose keys hold a space, `+`, `%`, and non-ASCII characters (both buckets use it). */
const ODD_RUN_ID = '20240301T000111000Z-key with space+plus%25pct%-é日本';

/** Newer than the fixtures' T0, so the dimension rows carrying these names win whatever the order. */
const NEWER = '2023-01-01 00:00:00.000';

/** A small self-contained unit: one sale with everything it references. */
const sale = (id: number, overrides: { counterparty?: string; address?: string; staff?: string } = {}) =>
  ({
    address: [
      {
        address_id: 1,
        ...(overrides.address ? { address_line_1: overrides.address, last_updated: NEWER } : {}),
      },
    ],
    counterparty: [
      {
        counterparty_id: 1,
        legal_address_id: 1,
        ...(overrides.counterparty
          ? { counterparty_legal_name: overrides.counterparty, last_updated: NEWER }
          : {}),
      },
    ],
    department: [{ department_id: 1 }],
    staff: [
      {
        staff_id: 1,
        department_id: 1,
        ...(overrides.staff ? { last_name: overrides.staff, last_updated: NEWER } : {}),
      },
    ],
    currency: [{ currency_id: 1, currency_code: 'GBP' }],
    design: [{ design_id: 1 }],
    payment_type: [{ payment_type_id: 1 }],
    sales_order: [{ sales_order_id: id }],
    transaction: [{ transaction_id: id, sales_order_id: id }],
    payment: [{ payment_id: id, transaction_id: id }],
  }) satisfies UnitTables;

const runId = (n: number, name: string) => `20240301T0001${String(n).padStart(2, '0')}000Z-${name}`;

type Columns = { name: string; type: string }[];
type TableObject = { columns: Columns; rows: unknown[][] } & Record<string, unknown>;

describe('bad-input catalogue through the local runtime', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let stateDir: string;
  let logFile: string;
  let stack: LocalStack;
  let s3: S3Client;
  let dynamo: DynamoDBClient;
  let target: OpsTarget;
  let ingestion: string;
  let processed: string;
  const previousLimit = process.env[ENV.maxObjectBytes];

  // What was put, by catalogue entry.
  const units: Record<string, WrittenUnit> = {};
  let vanishedKey: string;
  let emptyKey: string;
  let corruptParquetUnit: string;
  let missingParquetUnit: string;
  let tooLargeParquetUnit: string;
  let tooLargeParquetBytes = 0;
  const testEventIds: Record<'transform' | 'load', string> = { transform: '', load: '' };
  let views: { transform: DlqMessageView[]; load: DlqMessageView[] };

  const failures = () =>
    failureStore({ tableName: stack.resources.tables.state.name, client: dynamoDbDocumentClient(dynamo) });

  const count = async (query: ReturnType<typeof sql.unsafe>) => Number(await warehouse.pool.oneFirst(query));
  const salesFacts = (id: number) =>
    count(sql.unsafe`SELECT count(*) FROM "fact_sales_order" WHERE "sales_order_id" = ${id}`);
  const ledgerRows = (unitId: string) =>
    count(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger" WHERE "unit_id" = ${unitId}`);

  async function processedKeys(prefix: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: processed, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key ?? '');
  }

  /**
   * The entry's outcome: its message rests in the stage's DLQ after maxReceiveCount deliveries, and
   * the failure record `dlq show` joins to it names the error class and says why.
   */
  async function expectInDlq(
    stage: 'transform' | 'load',
    key: string,
    errorClass: string,
    message: RegExp,
  ): Promise<FailureRecord> {
    const view = views[stage].find((v) => v.key === key);
    if (!view)
      throw new Error(`no ${stage} DLQ message for ${key}; DLQ holds ${JSON.stringify(views[stage])}`);
    expect(view.receiveCount).toBeGreaterThanOrEqual(5);
    expect(view.failure?.errorClass).toBe(errorClass);
    expect(view.failure?.errorMessage).toMatch(message);
    expect(view.failure?.attempt).toBeGreaterThanOrEqual(5);
    const bucket = stage === 'transform' ? ingestion : processed;
    const record = await failures().get(stage, bucket, key);
    expect(record).toMatchObject({ stage, bucket, key, errorClass });
    return record as FailureRecord;
  }

  /** A bad ingestion unit left nothing behind: no processed object, no fact row, no ledger entry. */
  async function expectNothingFrom(runIdOfUnit: string, saleId: number): Promise<void> {
    expect(await processedKeys(unitPrefix(runIdOfUnit))).toEqual([]);
    expect(await salesFacts(saleId)).toBe(0);
    expect(await ledgerRows(manifestKey(runIdOfUnit))).toBe(0);
  }

  /** The ingestion manifests (notified keys) of the bad transform inputs. */
  const badTransformKeys = () => [
    units.malformed!.manifestKey,
    units.unknownTable!.manifestKey,
    units.extraColumn!.manifestKey,
    units.missingColumn!.manifestKey,
    vanishedKey,
    units.phantom!.manifestKey,
    emptyKey,
    units.tooLarge!.manifestKey,
  ];

  const tamperSales = (fn: (object: TableObject) => unknown) => ({
    tamper: { sales_order: (object: Record<string, unknown>) => fn(object as TableObject) },
  });

  /** A processed unit written the way the transform writes it, with one object damaged or absent. */
  async function putProcessed(
    run: string,
    saleId: number,
    damage: { table: WarehouseTable; bytes: (body: Uint8Array) => Uint8Array | null },
  ): Promise<string> {
    const version = '2024-03-01 00:01:00.000';
    const built = unit(manifestKey(run), {
      ...dimensionsFor(version),
      fact_sales_order: [salesOrder(saleId, version)],
    });
    for (const object of built.manifest.objects) {
      let body: Uint8Array | null = parquetOf(object.table, built.tables[object.table] as Row[]);
      if (object.table === damage.table) body = damage.bytes(body);
      if (body === null) continue;
      await s3.send(new PutObjectCommand({ Bucket: processed, Key: object.key, Body: body }));
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: processed,
        Key: built.manifest.unitId,
        Body: JSON.stringify(built.manifest),
        ContentType: 'application/json',
      }),
    );
    return built.manifest.unitId;
  }

  beforeAll(async () => {
    source = await createTestDatabase('badinput_source');
    warehouse = await createTestDatabase('badinput_warehouse');
    stateDir = mkdtempSync(path.join(tmpdir(), 'totes-badinput-'));
    logFile = path.join(stateDir, 'pipeline.log');
    // The handlers read their budget from the environment the stack gives them.
    process.env[ENV.maxObjectBytes] = String(MAX_OBJECT_BYTES);
    stack = await LocalStack.start({
      stateDir,
      sourceUrl: source.url,
      warehouseUrl: warehouse.url,
      retryDelaySeconds: 1,
      timeouts: { transform: 20, load: 20 },
      logFile,
    });
    const clientOptions = { region: stack.aws.region, credentials: LOCAL_CREDENTIALS };
    s3 = new S3Client({ ...clientOptions, endpoint: stack.aws.endpoints.s3, forcePathStyle: true });
    dynamo = new DynamoDBClient({ ...clientOptions, endpoint: stack.aws.endpoints.dynamodb });
    ingestion = stack.resources.buckets.ingestion;
    processed = stack.resources.buckets.processed;

    // Good units (they must be transformed and loaded).
    units.oddKey = await writeUnit(s3, ingestion, ODD_RUN_ID, sale(111));
    units.sqlNames = await writeUnit(
      s3,
      ingestion,
      runId(12, 'sql-names'),
      sale(112, { counterparty: SQL_NAME, address: SQL_ADDRESS, staff: SQL_STAFF }),
    );

    // Bad ingestion units.
    units.malformed = await writeUnit(
      s3,
      ingestion,
      runId(1, 'malformed-json'),
      sale(101),
      tamperSales(() => '{"format": "totes.ingestion.table.v1", "rows": [[1, "2022-11-03'),
    );
    units.unknownTable = await writeUnit(
      s3,
      ingestion,
      runId(2, 'unknown-table'),
      sale(102),
      tamperSales((o) => ({ ...o, table: 'customer_orders' })),
    );
    units.extraColumn = await writeUnit(
      s3,
      ingestion,
      runId(3, 'extra-column'),
      sale(103),
      tamperSales((o) => ({
        ...o,
        columns: [...o.columns, { name: 'discount', type: 'numeric' }],
        rows: o.rows.map((r) => [...r, '0.10']),
      })),
    );
    units.missingColumn = await writeUnit(
      s3,
      ingestion,
      runId(4, 'missing-column'),
      sale(104),
      tamperSales((o) => {
        const at = o.columns.findIndex((c) => c.name === 'units_sold');
        return {
          ...o,
          columns: o.columns.filter((_, i) => i !== at),
          rows: o.rows.map((r) => r.filter((_, i) => i !== at)),
        };
      }),
    );
    units.wrongType = await writeUnit(
      s3,
      ingestion,
      runId(5, 'wrong-type'),
      sale(105),
      tamperSales((o) => {
        const at = o.columns.findIndex((c) => c.name === 'units_sold');
        return { ...o, rows: o.rows.map((r) => r.map((v, i) => (i === at ? 'many' : v))) };
      }),
    );
    // Notified, then gone before the transform reads it.
    units.vanished = await writeUnit(s3, ingestion, runId(6, 'vanished'), sale(106));
    vanishedKey = units.vanished.manifestKey;
    await s3.send(new DeleteObjectCommand({ Bucket: ingestion, Key: vanishedKey }));
    units.phantom = await writeUnit(s3, ingestion, runId(7, 'phantom'), sale(107), {
      phantom: ['sales_order'],
    });
    emptyKey = manifestKey(runId(8, 'empty'));
    await s3.send(new PutObjectCommand({ Bucket: ingestion, Key: emptyKey, Body: new Uint8Array(0) }));
    // A valid table object of ~220 KB: 2,000 sales orders, above the 64 KiB budget.
    const many: UnitTables = {
      ...sale(109),
      sales_order: Array.from({ length: 2000 }, (_, i) => ({ sales_order_id: 10_000 + i })),
      transaction: [],
      payment: [],
    };
    units.tooLarge = await writeUnit(s3, ingestion, runId(9, 'too-large'), many);

    // Bad processed units.
    corruptParquetUnit = await putProcessed(runId(20, 'corrupt-parquet'), 120, {
      table: 'fact_sales_order',
      bytes: (body) => body.slice(0, Math.floor(body.byteLength / 2)),
    });
    missingParquetUnit = await putProcessed(runId(21, 'missing-parquet'), 121, {
      table: 'fact_sales_order',
      bytes: () => null,
    });
    // A fact file of 20,000 sales orders, above the 64 KiB budget.
    tooLargeParquetUnit = await putProcessed(runId(22, 'too-large-parquet'), 122, {
      table: 'fact_sales_order',
      bytes: () => {
        const version = '2024-03-01 00:01:00.000';
        const rows = Array.from({ length: 20_000 }, (_, i) => salesOrder(20_000 + i, version, i + 1));
        const body = parquetOf('fact_sales_order', rows);
        tooLargeParquetBytes = body.byteLength;
        return body;
      },
    });

    // S3's TestEvent, once more on each queue (the bridge sent one when the stack was created).
    for (const stage of ['transform', 'load'] as const) {
      const sent = await stack.sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.aws.queueUrls[stack.resources.queues[stage].name],
          MessageBody: JSON.stringify(
            testEventMessage({
              bucket: stage === 'transform' ? ingestion : processed,
              time: new Date(),
              requestId: `BADINPUT${stage.toUpperCase()}`,
              hostId: 'badinput',
            }),
          ),
        }),
      );
      testEventIds[stage] = sent.MessageId ?? '';
    }

    stack.startConsumers();
    await stack.waitUntilDrained(150_000);

    target = localTarget({
      stateDir,
      endpoints: stack.aws.endpoints,
      region: stack.aws.region,
      resources: stack.resources,
      detach: async () => {},
    });
    views = {
      transform: await showDlq(target, await target.dlq(stack.resources.queues.transform.dlqName), 50),
      load: await showDlq(target, await target.dlq(stack.resources.queues.load.dlqName), 50),
    };
  });

  afterAll(async () => {
    if (previousLimit === undefined) delete process.env[ENV.maxObjectBytes];
    else process.env[ENV.maxObjectBytes] = previousLimit;
    await target?.close();
    s3?.destroy();
    dynamo?.destroy();
    await stack?.stop();
    const { closeWarehousePool } = await import('../../../services/lambdas/load/warehouse-pool.ts');
    await closeWarehousePool();
    await source?.drop();
    await warehouse?.drop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('malformed JSON: an ingestion object that is not JSON fails to the transform DLQ (MalformedJsonError)', async () => {
    await expectInDlq(
      'transform',
      units.malformed!.manifestKey,
      'MalformedJsonError',
      /sales_order\.0001\.json is not valid JSON/,
    );
    await expectNothingFrom(units.malformed!.runId, 101);
  });

  it('a truncated Parquet file named by a processed manifest fails to the load DLQ (BadUnitError)', async () => {
    await expectInDlq(
      'load',
      corruptParquetUnit,
      'BadUnitError',
      /fact_sales_order\.0001\.parquet is not a readable Parquet file/,
    );
    expect(await salesFacts(120)).toBe(0);
    expect(await ledgerRows(corruptParquetUnit)).toBe(0);
  });

  it('an unknown table fails to the transform DLQ (UnknownTableError)', async () => {
    await expectInDlq(
      'transform',
      units.unknownTable!.manifestKey,
      'UnknownTableError',
      /unknown source table "customer_orders"/,
    );
    await expectNothingFrom(units.unknownTable!.runId, 102);
  });

  it('an extra column fails to the transform DLQ (UnknownColumnError)', async () => {
    await expectInDlq(
      'transform',
      units.extraColumn!.manifestKey,
      'UnknownColumnError',
      /table sales_order has no column "discount"/,
    );
    await expectNothingFrom(units.extraColumn!.runId, 103);
  });

  it('a missing column fails to the transform DLQ (MissingColumnError)', async () => {
    await expectInDlq(
      'transform',
      units.missingColumn!.manifestKey,
      'MissingColumnError',
      /sales_order is missing column\(s\) units_sold/,
    );
    await expectNothingFrom(units.missingColumn!.runId, 104);
  });

  it('a value of the wrong type holds back only its row, with its reason; the rest of the unit loads (issue 19 item 6b)', async () => {
    expect(views.transform.some((v) => v.key === units.wrongType!.manifestKey)).toBe(false);
    expect(await salesFacts(105)).toBe(0);
    expect(await ledgerRows(manifestKey(units.wrongType!.runId))).toBe(1);
    expect(await count(sql.unsafe`SELECT count(*) FROM "fact_payment" WHERE "payment_id" = 105`)).toBe(1);
    const held = await listHeldRows(warehouse.pool);
    expect(held.map((h) => [h.unitId, h.kind, h.naturalKey, h.errorClass])).toEqual([
      [manifestKey(units.wrongType!.runId), 'held', 'sales_order 105', 'WrongValueTypeError'],
    ]);
    expect(held[0]?.reason).toMatch(
      /row 0: column units_sold \(int\) holds "many", expected a 32-bit integer/,
    );
    expect(held[0]?.row.units_sold).toBe('many');
  });

  it('a notification for an object that no longer exists fails to the transform DLQ (MissingObjectError)', async () => {
    await expectInDlq(
      'transform',
      vanishedKey,
      'MissingObjectError',
      /ingestion manifest s3:\/\/\S+ does not exist/,
    );
    await expectNothingFrom(units.vanished!.runId, 106);
  });

  it('a manifest naming a missing object fails to the DLQ in either stage (MissingObjectError)', async () => {
    await expectInDlq(
      'transform',
      units.phantom!.manifestKey,
      'MissingObjectError',
      /table object listed by .*sales_order\.0001\.json does not exist/,
    );
    await expectNothingFrom(units.phantom!.runId, 107);
    await expectInDlq(
      'load',
      missingParquetUnit,
      'MissingObjectError',
      /fact_sales_order object named by .* does not exist/,
    );
    expect(await salesFacts(121)).toBe(0);
    expect(await ledgerRows(missingParquetUnit)).toBe(0);
  });

  it('the S3 TestEvent is acknowledged with a log line in each stage and is in no DLQ', () => {
    const log = readFileSync(logFile, 'utf8');
    for (const stage of ['transform', 'load'] as const) {
      const id = testEventIds[stage];
      expect(id).not.toBe('');
      expect(views[stage].map((v) => v.messageId)).not.toContain(id);
      // JSON lines: every line of the log is one JSON object (Powertools logs and EMF metrics).
      const entries = log
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((e) => JSON.stringify(e).includes(id));
      expect(entries.some((e) => e.message === 's3:TestEvent acknowledged without work')).toBe(true);
      expect(entries.some((e) => e.level === 'ERROR')).toBe(false);
    }
  });

  it('keys with a space, `+`, `%` and non-ASCII characters are transformed and loaded end to end', async () => {
    const prefix = unitPrefix(ODD_RUN_ID);
    expect(prefix).toMatch(/ .*\+.*%.*é日本/);
    const keys = await processedKeys(prefix);
    expect(keys).toContain(manifestKey(ODD_RUN_ID));
    expect(keys.some((k) => k.endsWith('fact_sales_order.0001.parquet'))).toBe(true);
    expect(await salesFacts(111)).toBe(1);
    expect(await ledgerRows(manifestKey(ODD_RUN_ID))).toBe(1);
    expect(await failures().get('transform', ingestion, units.oddKey!.manifestKey)).toBeUndefined();
    expect(await failures().get('load', processed, manifestKey(ODD_RUN_ID))).toBeUndefined();
  });

  it('an empty object fails to the transform DLQ (MalformedJsonError)', async () => {
    await expectInDlq('transform', emptyKey, 'MalformedJsonError', /is not valid JSON/);
    expect(await processedKeys(unitPrefix(runId(8, 'empty')))).toEqual([]);
  });

  it('an object above the memory budget is refused before it is read (ObjectTooLargeError)', async () => {
    const failure = await expectInDlq(
      'transform',
      units.tooLarge!.manifestKey,
      'ObjectTooLargeError',
      new RegExp(
        `sales_order\\.0001\\.json is \\d+ bytes, above the memory budget of ${MAX_OBJECT_BYTES} bytes \\(MAX_OBJECT_BYTES\\)`,
      ),
    );
    expect(failure.errorMessage).toContain('it is not read');
    await expectNothingFrom(units.tooLarge!.runId, 109);
    expect(
      await count(sql.unsafe`SELECT count(*) FROM "fact_sales_order" WHERE "sales_order_id" >= 10000`),
    ).toBe(0);
    // The load's guard: a Parquet file above the budget, refused before its body is read.
    expect(tooLargeParquetBytes).toBeGreaterThan(MAX_OBJECT_BYTES);
    await expectInDlq(
      'load',
      tooLargeParquetUnit,
      'ObjectTooLargeError',
      new RegExp(
        `fact_sales_order\\.0001\\.parquet is ${tooLargeParquetBytes} bytes, above the memory budget of ${MAX_OBJECT_BYTES} bytes`,
      ),
    );
    expect(await ledgerRows(tooLargeParquetUnit)).toBe(0);
  });

  it('names that look like SQL injection are stored verbatim and nothing is dropped', async () => {
    expect(await salesFacts(112)).toBe(1);
    const counterparty = await warehouse.pool.one(sql.unsafe`
      SELECT "counterparty_legal_name", "counterparty_legal_address_line_1" FROM "dim_counterparty" WHERE "counterparty_id" = 1`);
    expect(counterparty).toEqual({
      counterparty_legal_name: SQL_NAME,
      counterparty_legal_address_line_1: SQL_ADDRESS,
    });
    expect(
      await warehouse.pool.oneFirst(sql.unsafe`SELECT "last_name" FROM "dim_staff" WHERE "staff_id" = 1`),
    ).toBe(SQL_STAFF);
    expect(
      await warehouse.pool.oneFirst(
        sql.unsafe`SELECT "address_line_1" FROM "dim_location" WHERE "location_id" = 1`,
      ),
    ).toBe(SQL_ADDRESS);
    expect(await count(sql.unsafe`SELECT count(*) FROM "dim_date"`)).toBeGreaterThan(0);
    const tables = await warehouse.pool.anyFirst(sql.unsafe`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables).toEqual(expect.arrayContaining(['dim_staff', 'fact_sales_order', 'dim_date']));
  });

  it('nothing else is lost: exactly the bad inputs rest in the DLQs, every good unit loaded once', async () => {
    const bad = {
      transform: badTransformKeys(),
      load: [corruptParquetUnit, missingParquetUnit, tooLargeParquetUnit],
    };
    expect(views.transform.map((v) => v.key).sort()).toEqual([...bad.transform].sort());
    expect(views.load.map((v) => v.key).sort()).toEqual([...bad.load].sort());
    // The good units shared batches with the bad ones and still went through exactly once.
    expect(await ledgerRows(manifestKey(ODD_RUN_ID))).toBe(1);
    expect(await ledgerRows(manifestKey(runId(12, 'sql-names')))).toBe(1);
    // …and so did the unit whose one row is held (wrong type), without that row.
    expect(await count(sql.unsafe`SELECT count(*) FROM "pipeline"."load_ledger"`)).toBe(3);
    expect(await count(sql.unsafe`SELECT count(*) FROM "fact_sales_order"`)).toBe(2);
    expect(await count(sql.unsafe`SELECT count(*) FROM "fact_payment"`)).toBe(3);
    // Every bad attempt was counted (the per-record failure metric the alarms watch).
    expect(stack.counters.transform.recordsFailed).toBeGreaterThanOrEqual(5 * bad.transform.length);
    expect(stack.counters.load.recordsFailed).toBeGreaterThanOrEqual(5 * bad.load.length);
    // The failure store holds exactly the bad objects, nothing for the good ones.
    expect((await failures().list('transform')).map((f) => f.key).sort()).toEqual([...bad.transform].sort());
    expect((await failures().list('load')).map((f) => f.key).sort()).toEqual([...bad.load].sort());
  });

  it('in one batch, the bad records fail alone: the handler reports exactly them, the good record is loaded', async () => {
    const { createTransformHandler } = await import('../../../services/lambdas/transform/handler.ts');
    const handler = createTransformHandler({
      env: {
        [ENV.ingestionBucket]: ingestion,
        [ENV.processedBucket]: processed,
        [ENV.idempotencyTable]: stack.resources.tables.idempotency.name,
        [ENV.stateTable]: stack.resources.tables.state.name,
        [ENV.maxObjectBytes]: String(MAX_OBJECT_BYTES),
      },
      s3,
      dynamoDb: dynamo,
      logger: new Logger({ serviceName: 'bad-input-batch', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'totes-test', serviceName: 'bad-input-batch' }),
    });
    const good = await writeUnit(s3, ingestion, runId(13, 'batch-mate'), sale(113));
    const keys = [...badTransformKeys(), good.manifestKey];
    const records = keys.map((key, i) =>
      sqsRecord(
        `batch-${i}`,
        objectCreatedMessage([
          objectCreatedRecord({
            region: stack.aws.region,
            bucket: ingestion,
            key,
            size: 1,
            eTag: `direct-batch-${i}`,
            sequencer: `0000000000000000${String(i).padStart(2, '0')}`,
            eventName: 'ObjectCreated:Put',
            eventTime: new Date(),
            configurationId: 'transform-manifests',
            requestId: `BATCH${i}`,
            hostId: 'bad-input',
            sourceIPAddress: '127.0.0.1',
          }),
        ]),
      ),
    );
    const response = await handler(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records
        .slice(0, -1)
        .map((r) => r.messageId)
        .sort(),
    );
    // The good batch-mate's processed manifest is notified to the load queue and loaded.
    expect(await processedKeys(unitPrefix(good.runId))).toContain(manifestKey(good.runId));
    await stack.waitUntilDrained(60_000);
    expect(await salesFacts(113)).toBe(1);
    expect(await ledgerRows(manifestKey(good.runId))).toBe(1);
  });
});
