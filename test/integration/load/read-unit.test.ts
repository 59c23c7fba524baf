/** Reading a processed unit from S3 (fauxqs): what is refused, with which error, before any SQL. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Row } from '../../../services/lambdas/load/apply.ts';
import { BadUnitError } from '../../../services/lambdas/load/errors.ts';
import { fetchProcessedUnit } from '../../../services/lambdas/load/read-unit.ts';
import { MissingObjectError } from '../../../shared/lake/errors.ts';
import { writeParquet } from '../../../shared/parquet/index.ts';
import { type LocalAws, startLocalAwsForTests } from '../shared-sqs-consumer/local-aws.ts';
import { putProcessedUnit } from './lake.ts';
import { dimensionsFor, salesOrder, unit } from './units.ts';

const BUCKET = 'read-unit';
const OLD = '2024-02-29 10:00:00.123';
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAwsForTests();
  await aws.createBucket(BUCKET);
});
afterAll(async () => aws.stop());

const put = (key: string, body: string | Uint8Array) =>
  aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

describe('fetchProcessedUnit', () => {
  it('returns exact rows, re-readable for every attempt', async () => {
    const source = unit('units/2024/02/29/r1/manifest.json', {
      ...dimensionsFor(OLD),
      fact_sales_order: [salesOrder(1, OLD, 100, '2.57'), salesOrder(2, OLD, 5, '3.10')],
    });
    await putProcessedUnit(aws.s3, BUCKET, source);
    const fetched = await fetchProcessedUnit(aws.s3, BUCKET, source.manifest.unitId, { batchRows: 1 });
    expect(fetched.manifest).toEqual(source.manifest);
    for (let attempt = 0; attempt < 2; attempt++) {
      // One batch per Parquet slice (batchRows 1: a row each).
      const batches: (readonly Row[])[] = [];
      const rows = fetched.open().tables.fact_sales_order as AsyncIterable<readonly Row[]>;
      for await (const batch of rows) batches.push(batch);
      expect(batches.map((b) => b.length)).toEqual([1, 1]);
      expect(batches.flat()).toEqual(source.tables.fact_sales_order);
    }
  });

  it('refuses a missing manifest, a foreign format, an object that is not there, or other columns', async () => {
    await expect(fetchProcessedUnit(aws.s3, BUCKET, 'units/none/manifest.json')).rejects.toThrow(
      MissingObjectError,
    );

    await put('units/x/manifest.json', JSON.stringify({ format: 'something.else' }));
    await expect(fetchProcessedUnit(aws.s3, BUCKET, 'units/x/manifest.json')).rejects.toThrow(
      /format is "something.else", expected totes.processed.manifest.v1/,
    );
    await put('units/y/manifest.json', '{ not json');
    await expect(fetchProcessedUnit(aws.s3, BUCKET, 'units/y/manifest.json')).rejects.toThrow(BadUnitError);

    const partial = unit('units/2024/02/29/r2/manifest.json', dimensionsFor(OLD));
    await putProcessedUnit(aws.s3, BUCKET, partial, { skipObjects: ['dim_currency'] });
    await expect(fetchProcessedUnit(aws.s3, BUCKET, partial.manifest.unitId)).rejects.toThrow(
      /dim_currency object named by units\/2024\/02\/29\/r2\/manifest\.json: s3:\/\/read-unit\/units\/2024\/02\/29\/r2\/dim_currency\.0001\.parquet does not exist/,
    );

    const odd = unit('units/2024/02/29/r3/manifest.json', { dim_payment_type: [] });
    await putProcessedUnit(aws.s3, BUCKET, odd);
    const object = odd.manifest.objects[0]!;
    const wrong = writeParquet(
      {
        name: 'dim_payment_type',
        columns: [
          { name: 'payment_type_id', type: { kind: 'int32' }, nullable: false },
          { name: 'payment_type', type: { kind: 'utf8' }, nullable: false },
        ],
      },
      [[1, 'SALES_RECEIPT']],
    ).buffer;
    await put(object.key, wrong);
    await expect(fetchProcessedUnit(aws.s3, BUCKET, odd.manifest.unitId)).rejects.toThrow(
      /\(dim_payment_type\) columns differ from the warehouse: missing payment_type_name, source_version unknown payment_type/,
    );
  });
});
