/**
 * The transform Lambda handler against fauxqs S3 + dynalite: partial batch failure, idempotency on
 * the object identity, the TestEvent, failure records, immutability of the processed bucket and a
 * handler-level failure that the alarms see.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTransformHandler } from '../../../services/lambdas/transform/handler.ts';
import { PARQUET_SCHEMAS } from '../../../services/lambdas/transform/parquet-schemas.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import { failureStore } from '../../../shared/failures/index.ts';
import type { ProcessedManifest } from '../../../shared/lake/index.ts';
import { processedObjectKey } from '../../../shared/lake/keys.ts';
import { readParquet } from '../../../shared/parquet/index.ts';
import { HandlerSetupError } from '../../../shared/sqs-consumer/index.ts';
import {
  captureStdout,
  lambdaContext,
  metricTotal,
  s3NotificationBody,
  sqsEvent,
  sqsRecord,
  TEST_EVENT_BODY,
} from '../shared-sqs-consumer/events.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { readWithDuckDb } from './duckdb.ts';
import { type UnitTables, type WrittenUnit, writeUnit } from './unit-builder.ts';

const INGESTION = 'th-ingestion';
const PROCESSED = 'th-processed';
const IDEMPOTENCY = 'th-idempotency';
const STATE = 'th-state';
const env = {
  INGESTION_BUCKET: INGESTION,
  PROCESSED_BUCKET: PROCESSED,
  IDEMPOTENCY_TABLE: IDEMPOTENCY,
  PIPELINE_STATE_TABLE: STATE,
};

let aws: LocalAws;

/** A small self-contained unit: a sale with everything it references. */
const sale = (id: number): UnitTables => ({
  address: [{ address_id: 1 }],
  counterparty: [{ counterparty_id: 1, legal_address_id: 1 }],
  department: [{ department_id: 1 }],
  staff: [{ staff_id: 1, department_id: 1 }],
  currency: [{ currency_id: 1, currency_code: 'GBP' }],
  design: [{ design_id: 1 }],
  payment_type: [{ payment_type_id: 1 }],
  sales_order: [{ sales_order_id: id }],
  transaction: [{ transaction_id: id, sales_order_id: id }],
  payment: [{ payment_id: id, transaction_id: id }],
});

const runId = (n: number) => `20240301T0000${String(n).padStart(2, '0')}000Z-h${n}`;
const prefixOf = (unit: WrittenUnit) => unit.manifestKey.replace(/manifest\.json$/, '');

async function processedKeys(prefix: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: PROCESSED, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

function makeHandler(overrides: { env?: NodeJS.ProcessEnv } = {}) {
  return createTransformHandler({
    env: overrides.env ?? env,
    s3: aws.s3,
    dynamoDb: aws.dynamoDb,
    logger: new Logger({ serviceName: 'transform-test' }),
    metrics: new Metrics({ namespace: 'totes-test', serviceName: 'transform-test' }),
  });
}

const notify = (messageId: string, unit: WrittenUnit, receiveCount = 1) =>
  sqsRecord(
    messageId,
    s3NotificationBody([{ bucket: INGESTION, key: unit.manifestKey, eTag: unit.eTag }]),
    receiveCount,
  );

const failures = () => failureStore({ tableName: STATE, client: dynamoDbDocumentClient(aws.dynamoDb) });

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(INGESTION);
  await aws.createBucket(PROCESSED);
  await aws.createIdempotencyTable(IDEMPOTENCY);
  await aws.createStateTable(STATE);
});

afterAll(async () => {
  await aws.stop();
});

describe('transform handler', () => {
  test('a batch of three with one poison unit reports exactly that messageId; no manifest is written for it', async () => {
    const good1 = await writeUnit(aws.s3, INGESTION, runId(1), sale(1));
    const poison = await writeUnit(aws.s3, INGESTION, runId(2), sale(2), {
      tamper: {
        payment: (o) => ({
          ...o,
          columns: [...(o.columns as unknown[]), { name: 'discount', type: 'numeric' }],
          rows: (o.rows as unknown[][]).map((r) => [...r, '0.10']),
        }),
      },
    });
    const good3 = await writeUnit(aws.s3, INGESTION, runId(3), sale(3));
    const handler = makeHandler();
    const { result, lines } = await captureStdout(() =>
      handler(
        sqsEvent([notify('m-1', good1), notify('m-2', poison, 2), notify('m-3', good3)]),
        lambdaContext(),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    // Files go up as they are encoded (memory bounded by the part); without a manifest nothing
    // downstream (the load, `totes query`) ever reads the ones written before the failure.
    expect((await processedKeys(prefixOf(poison))).filter((k) => k.endsWith('manifest.json'))).toEqual([]);
    expect(await processedKeys(prefixOf(good1))).toContain(`${prefixOf(good1)}manifest.json`);
    expect(await processedKeys(prefixOf(good3))).toContain(`${prefixOf(good3)}manifest.json`);
    expect(metricTotal(lines, 'RecordsFailed', 'transform')).toBe(1);
    expect(metricTotal(lines, 'UnitsTransformed', 'transform')).toBe(2);
    const failure = await failures().get('transform', INGESTION, poison.manifestKey);
    expect(failure).toMatchObject({
      messageId: 'm-2',
      errorClass: 'UnknownColumnError',
      attempt: 2,
      eTag: poison.eTag,
    });
    expect(failure?.errorMessage).toContain('table payment has no column "discount"');
    const log = lines.find((l) => l.level === 'ERROR' && l.messageId === 'm-2');
    expect(log).toMatchObject({ runId: runId(2), errorClass: 'UnknownColumnError' });
  });

  test('the same unit notified twice under two messageIds is transformed once', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(4), sale(4));
    const handler = makeHandler();
    const first = await captureStdout(() =>
      handler(sqsEvent([notify('d-1', unit), notify('d-2', unit)]), lambdaContext()),
    );
    expect(first.result).toEqual({ batchItemFailures: [] });
    const keys = await processedKeys(prefixOf(unit));
    const second = await captureStdout(() => handler(sqsEvent([notify('d-3', unit)]), lambdaContext()));
    expect(second.result).toEqual({ batchItemFailures: [] });
    expect(metricTotal([...first.lines, ...second.lines], 'UnitsTransformed')).toBe(1);
    expect(metricTotal(second.lines, 'ObjectsSkippedDuplicate')).toBe(1);
    expect(await processedKeys(prefixOf(unit))).toEqual(keys);
  });

  test('with the idempotency record gone, a redelivery finds the processed manifest and writes nothing', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(5), sale(5));
    await makeHandler()(sqsEvent([notify('r-1', unit)]), lambdaContext());
    const otherTable = 'th-idempotency-2';
    await aws.createIdempotencyTable(otherTable);
    const fresh = makeHandler({ env: { ...env, IDEMPOTENCY_TABLE: otherTable } });
    const { result, lines } = await captureStdout(() =>
      fresh(sqsEvent([notify('r-2', unit)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(metricTotal(lines, 'UnitsAlreadyProcessed')).toBe(1);
    expect(metricTotal(lines, 'UnitsTransformed')).toBe(0);
  });

  test('a retry after a crash mid-write keeps what the first attempt wrote and completes the unit', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(6), sale(6));
    // As if an earlier attempt wrote dim_date (same source) and died before the rest.
    const partial = processedObjectKey(runId(6), 'dim_date', 1);
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: PROCESSED,
        Key: partial,
        Body: 'written by the first attempt',
        Metadata: {
          'source-bucket': INGESTION,
          'source-key': unit.manifestKey,
          'source-etag': unit.eTag,
          'run-id': runId(6),
        },
      }),
    );
    const { result } = await captureStdout(() =>
      makeHandler()(sqsEvent([notify('c-1', unit, 2)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await processedKeys(prefixOf(unit))).toContain(`${prefixOf(unit)}manifest.json`);
  });

  test('an object at an output key from another source is never overwritten (LakeConflictError)', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(7), sale(7));
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: PROCESSED,
        Key: processedObjectKey(runId(7), 'fact_payment', 1),
        Body: 'someone else',
        Metadata: { 'source-key': 'units/elsewhere/manifest.json', 'source-etag': 'other' },
      }),
    );
    const { result } = await captureStdout(() =>
      makeHandler()(sqsEvent([notify('x-1', unit)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'x-1' }] });
    expect((await failures().get('transform', INGESTION, unit.manifestKey))?.errorClass).toBe(
      'LakeConflictError',
    );
    expect(await processedKeys(prefixOf(unit))).not.toContain(`${prefixOf(unit)}manifest.json`);
  });

  test('a manifest naming an absent object fails with MissingObjectError and writes nothing', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(8), sale(8), { phantom: ['design'] });
    const { result } = await captureStdout(() =>
      makeHandler()(sqsEvent([notify('p-1', unit)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'p-1' }] });
    const failure = await failures().get('transform', INGESTION, unit.manifestKey);
    expect(failure?.errorClass).toBe('MissingObjectError');
    expect(failure?.errorMessage).toContain('design.0001.json does not exist');
    expect(await processedKeys(prefixOf(unit))).toEqual([]);
  });

  test('malformed JSON fails its record with a clear class; an unknown currency holds only its row', async () => {
    const broken = await writeUnit(aws.s3, INGESTION, runId(9), sale(9), {
      tamper: { staff: () => '{"rows": [' },
    });
    const currency = await writeUnit(aws.s3, INGESTION, runId(10), {
      ...sale(10),
      currency: [{ currency_id: 1, currency_code: 'XYZ' }],
    });
    const { result } = await captureStdout(() =>
      makeHandler()(sqsEvent([notify('j-1', broken), notify('j-2', currency)]), lambdaContext()),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'j-1' }] });
    expect((await failures().get('transform', INGESTION, broken.manifestKey))?.errorClass).toBe(
      'MalformedJsonError',
    );
    // Issue 19 item 6b: the currency row is held (listed in the manifest, whole, with its reason).
    expect(await failures().get('transform', INGESTION, currency.manifestKey)).toBeUndefined();
    const got = await aws.s3.send(
      new GetObjectCommand({ Bucket: PROCESSED, Key: `${prefixOf(currency)}manifest.json` }),
    );
    const manifest = JSON.parse(await got.Body!.transformToString()) as ProcessedManifest;
    expect(
      manifest.held?.map((h) => [h.table, h.id, h.errorClass, h.row.currency_code, h.withholds]),
    ).toEqual([['currency', 1, 'UnknownCurrencyError', 'XYZ', [{ table: 'dim_currency', id: 1 }]]]);
    expect(manifest.objects.some((o) => o.table === 'dim_currency')).toBe(false);
    expect(manifest.objects.some((o) => o.table === 'fact_sales_order')).toBe(true);
  });

  test('a key that is not a manifest is rejected; a TestEvent is acknowledged without work', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(11), sale(11));
    const tableKey = unit.manifestKey.replace('manifest.json', 'payment.0001.json');
    const { result, lines } = await captureStdout(() =>
      makeHandler()(
        sqsEvent([
          sqsRecord('t-1', TEST_EVENT_BODY),
          sqsRecord('t-2', s3NotificationBody([{ bucket: INGESTION, key: tableKey, eTag: 'e' }])),
        ]),
        lambdaContext(),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 't-2' }] });
    expect(metricTotal(lines, 'TestEventsAcknowledged')).toBe(1);
    expect((await failures().get('transform', INGESTION, tableKey))?.errorClass).toBe('NotAManifestError');
  });

  test('a handler-level failure (PROCESSED_BUCKET missing) fails the invocation and is counted for the alarms', async () => {
    const unit = await writeUnit(aws.s3, INGESTION, runId(12), sale(12));
    const handler = makeHandler({
      env: { INGESTION_BUCKET: INGESTION, IDEMPOTENCY_TABLE: IDEMPOTENCY, PIPELINE_STATE_TABLE: STATE },
    });
    const { error, lines } = await captureStdout(() =>
      handler(sqsEvent([notify('z-1', unit), notify('z-2', unit)]), lambdaContext()),
    );
    expect(error).toBeInstanceOf(HandlerSetupError);
    expect((error as Error).message).toContain('PROCESSED_BUCKET');
    expect(metricTotal(lines, 'RecordsFailed', 'transform')).toBe(2);
    expect(metricTotal(lines, 'HandlerFailures', 'transform')).toBe(1);
    expect(
      lines.some((l) => l.level === 'ERROR' && String(l.errorMessage).includes('PROCESSED_BUCKET')),
    ).toBe(true);
    expect(await processedKeys(prefixOf(unit))).toEqual([]);
  });
});

describe('every Parquet file the handler tests wrote', () => {
  test('is read by DuckDB with the schema types and the row counts its manifest states, values equal to shared/parquet', async () => {
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: PROCESSED }));
    const manifests = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('/manifest.json'));
    // 5 good units, and the one whose unknown currency row is held (its other rows transformed).
    expect(manifests.length).toBe(6);
    let checked = 0;
    for (const key of manifests) {
      const got = await aws.s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: key }));
      const manifest = JSON.parse(await got.Body!.transformToString()) as ProcessedManifest;
      for (const object of manifest.objects) {
        const body = await (await aws.s3.send(new GetObjectCommand({ Bucket: PROCESSED, Key: object.key })))
          .Body!;
        const buffer = await body.transformToByteArray();
        if (!new TextDecoder().decode(buffer.slice(0, 4)).startsWith('PAR1')) {
          // The stand-in object the crash test planted (the real attempt's bytes would be identical).
          expect(object.table).toBe('dim_date');
          continue;
        }
        const view = await readWithDuckDb(buffer);
        expect(view.rows).toHaveLength(object.rows);
        expect(Object.keys(view.types)).toEqual(PARQUET_SCHEMAS[object.table].columns.map((c) => c.name));
        for (const column of PARQUET_SCHEMAS[object.table].columns) {
          const duck = view.types[column.name];
          const want = DUCK_TYPES[column.type.kind];
          if (column.type.kind === 'decimal' && column.type.scale !== 'data') {
            expect(duck).toBe(`DECIMAL(${column.type.precision},${column.type.scale})`);
          } else {
            expect(duck).toMatch(want!);
          }
        }
        const exact = await readParquet(buffer);
        expect(view.rows).toEqual(exact.rows);
        checked += 1;
      }
    }
    // The unit with the held currency row has no dim_currency file: 9 of its 10.
    expect(checked).toBe(5 * 10 - 1 + 9);
  });
});

const DUCK_TYPES: Record<string, RegExp> = {
  int32: /^INTEGER$/,
  utf8: /^VARCHAR$/,
  boolean: /^BOOLEAN$/,
  date: /^DATE$/,
  'time-millis': /^TIME$/,
  'timestamp-millis': /^TIMESTAMP$/,
  decimal: /^DECIMAL\(\d+,\d+\)$/,
};
