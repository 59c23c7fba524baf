/**
 * transformUnit's S3 conversation, on a mocked client: what only real S3 does (If-None-Match
 * answered with 412) and the calls made — or not made — in each case.
 */

import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, test } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { transformUnit } from '../../../services/lambdas/transform/unit.ts';
import { LakeConflictError, MissingObjectError } from '../../../shared/lake/errors.ts';
import { INGESTION_MANIFEST_FORMAT, INGESTION_TABLE_FORMAT } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES } from '../../../shared/schema/totesys.ts';
import { row } from './fixtures.ts';

const runId = '20240301T000000000Z-mock';
const prefix = `units/2024/03/01/${runId}/`;
const manifestKey = `${prefix}manifest.json`;
const designKey = `${prefix}design.0001.json`;
const manifest = {
  format: INGESTION_MANIFEST_FORMAT,
  runId,
  extractedAt: '2024-03-01 00:00:00.000',
  windows: {},
  changedRows: { design: 1 },
  objects: [{ table: 'design', key: designKey, part: 1, rows: 1 }],
};
const designObject = {
  format: INGESTION_TABLE_FORMAT,
  runId,
  table: 'design',
  part: 1,
  columns: SOURCE_TABLES.design.columns.map((c) => ({ name: c.name, type: c.type })),
  rows: [row('design', { design_id: 1 })],
};
const body = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) }) as never;
const notFound = () => new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } });
const ref = { bucket: 'in', key: manifestKey, eTag: 'etag-1', eventName: 'ObjectCreated:Put' };

const s3 = new S3Client({ region: 'eu-west-2' });
const mock = mockClient(s3);
afterEach(() => {
  mock.reset();
});

function sourceIs(content: { manifest?: unknown; design?: unknown }) {
  mock
    .on(GetObjectCommand, { Key: manifestKey })
    .resolves({ Body: body(content.manifest ?? manifest), ETag: '"etag-1"' });
  if (content.design === undefined) {
    mock.on(GetObjectCommand, { Key: designKey }).resolves({ Body: body(designObject) });
  } else if (content.design === 'missing') {
    mock.on(GetObjectCommand, { Key: designKey }).rejects(new NoSuchKey({ message: 'no', $metadata: {} }));
  }
}

describe('transformUnit on S3', () => {
  test('writes each Parquet file then the manifest, each with If-None-Match and its source in the metadata', async () => {
    sourceIs({});
    mock.on(HeadObjectCommand).rejects(notFound());
    mock.on(PutObjectCommand).resolves({});
    const result = await transformUnit(ref, { s3, processedBucket: 'out' });
    expect(result).toMatchObject({ alreadyProcessed: false, objects: 1, rows: { dim_design: 1 } });
    const puts = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([`${prefix}dim_design.0001.parquet`, manifestKey]);
    // Small objects are not looked up before their PUT (If-None-Match guards them): the only
    // HeadObject is the "unit already processed?" check of the manifest.
    expect(mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key)).toEqual([manifestKey]);
    for (const p of puts) {
      expect(p.Bucket).toBe('out');
      expect(p.IfNoneMatch).toBe('*');
      expect(p.Metadata).toEqual({
        'source-bucket': 'in',
        'source-key': manifestKey,
        'source-etag': 'etag-1',
        'run-id': runId,
      });
    }
    const written = JSON.parse(new TextDecoder().decode(puts[1]!.Body as Uint8Array));
    expect(written).toMatchObject({
      unitId: manifestKey,
      source: { eTag: 'etag-1' },
      objects: [{ table: 'dim_design', rows: 1 }],
    });
  });

  test('a processed manifest already there: nothing read beyond the manifest, nothing written', async () => {
    sourceIs({});
    mock.on(HeadObjectCommand, { Key: manifestKey }).resolves({ Metadata: {} });
    const result = await transformUnit(ref, { s3, processedBucket: 'out' });
    expect(result.alreadyProcessed).toBe(true);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([manifestKey]);
  });

  test('S3 answers 412 (someone wrote the key meanwhile): accepted from the same source, a conflict otherwise', async () => {
    const preconditionFailed = () =>
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
      });
    sourceIs({});
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'source-key': manifestKey, 'source-etag': 'etag-1' } });
    mock.on(HeadObjectCommand, { Key: manifestKey }).rejects(notFound());
    mock.on(PutObjectCommand, { Key: `${prefix}dim_design.0001.parquet` }).rejects(preconditionFailed());
    mock.on(PutObjectCommand, { Key: manifestKey }).resolves({});
    await expect(transformUnit(ref, { s3, processedBucket: 'out' })).resolves.toMatchObject({
      alreadyProcessed: false,
    });

    mock.reset();
    sourceIs({});
    mock.on(HeadObjectCommand).resolves({ Metadata: { 'source-key': 'other', 'source-etag': 'x' } });
    mock.on(HeadObjectCommand, { Key: manifestKey }).rejects(notFound());
    mock.on(PutObjectCommand).rejects(preconditionFailed());
    await expect(transformUnit(ref, { s3, processedBucket: 'out' })).rejects.toThrow(LakeConflictError);
  });

  test('a table object the manifest names but S3 does not have: MissingObjectError, nothing written', async () => {
    sourceIs({ design: 'missing' });
    mock.on(HeadObjectCommand).rejects(notFound());
    await expect(transformUnit(ref, { s3, processedBucket: 'out' })).rejects.toThrow(MissingObjectError);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
