import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { UnitWriter } from '../../../services/lambdas/extract/unit-writer.ts';
import { acquireLease, releaseLease } from '../../../shared/state/lease.ts';
import { recordHeartbeat, recordRun } from '../../../shared/state/runs.ts';
import {
  emptyWatermark,
  readWatermarks,
  saveWatermark,
  WatermarkConflictError,
} from '../../../shared/state/watermarks.ts';

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }));
const dynamo = mockClient(doc);
const s3 = mockClient(S3Client);
beforeEach(() => {
  dynamo.reset();
  s3.reset();
});

describe('run lease', () => {
  it('is a conditional put that only wins over no lease or an expired one', async () => {
    dynamo.on(PutCommand).resolves({});
    await expect(
      acquireLease(doc, 'state', { owner: 'run-1', nowMs: 1_000, durationMs: 500 }),
    ).resolves.toEqual({
      acquired: true,
    });
    const input = dynamo.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.Item).toMatchObject({ pk: 'LEASE', sk: 'extract', owner: 'run-1', expiresAtMs: 1_500 });
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk) OR expiresAtMs < :now');
    expect(input.ExpressionAttributeValues).toEqual({ ':now': 1_000 });
  });

  it('reports the holder when the condition fails', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'LEASE', sk: 'extract', owner: 'run-0', expiresAtMs: 9_000 } });
    await expect(
      acquireLease(doc, 'state', { owner: 'run-1', nowMs: 1_000, durationMs: 500 }),
    ).resolves.toEqual({
      acquired: false,
      holder: { owner: 'run-0', expiresAtMs: 9_000 },
    });
  });

  it('is acquired when the condition fails against its own first attempt (response lost, SDK retried)', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'LEASE', sk: 'extract', owner: 'run-1', expiresAtMs: 1_500 } });
    await expect(
      acquireLease(doc, 'state', { owner: 'run-1', nowMs: 1_000, durationMs: 500 }),
    ).resolves.toEqual({ acquired: true });
  });

  it('propagates other DynamoDB errors', async () => {
    dynamo.on(PutCommand).rejects(new Error('throttled'));
    await expect(acquireLease(doc, 'state', { owner: 'r', nowMs: 1, durationMs: 1 })).rejects.toThrow(
      'throttled',
    );
  });

  it('is released only by its owner', async () => {
    dynamo.on(DeleteCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await expect(releaseLease(doc, 'state', 'run-1')).resolves.toBe(true);
    await expect(releaseLease(doc, 'state', 'run-1')).resolves.toBe(false);
    const input = dynamo.commandCalls(DeleteCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('#owner = :owner');
    expect(input.ExpressionAttributeValues).toEqual({ ':owner': 'run-1' });
  });
});

describe('watermark store', () => {
  it('reads every page of watermarks, ignoring unknown tables', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { pk: 'WATERMARK', sk: 'address', watermark: '2024-01-01 00:00:00.000', tail: ['x'], version: 3 },
        ],
        LastEvaluatedKey: { pk: 'WATERMARK', sk: 'address' },
      })
      .resolvesOnce({
        Items: [
          {
            pk: 'WATERMARK',
            sk: 'payment',
            watermark: '2024-01-02 00:00:00.000',
            tailDropped: true,
            version: 1,
          },
          { pk: 'WATERMARK', sk: '_prisma_migrations', watermark: 'x', version: 1 },
        ],
      });
    const marks = await readWatermarks(doc, 'state');
    expect([...marks.keys()]).toEqual(['address', 'payment']);
    expect(marks.get('address')).toEqual({
      table: 'address',
      watermark: '2024-01-01 00:00:00.000',
      tail: ['x'],
      newest: null,
      version: 3,
    });
    expect(marks.get('payment')?.tail).toBeNull();
    expect(dynamo.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'WATERMARK',
      sk: 'address',
    });
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('creates a first watermark only if none exists', async () => {
    dynamo.on(PutCommand).resolves({});
    const saved = await saveWatermark(
      doc,
      'state',
      emptyWatermark('design'),
      { table: 'design', watermark: '2024-01-01 00:00:00.000', tail: [], newest: '2024-01-01 00:00:00.500' },
      'run-1',
      '2024-01-01 00:02:00.000',
    );
    expect(saved.version).toBe(1);
    const input = dynamo.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input.Item).toMatchObject({ pk: 'WATERMARK', sk: 'design', version: 1, runId: 'run-1', tail: [] });
  });

  it('advances only from the version it read and never backwards', async () => {
    dynamo.on(PutCommand).resolves({});
    const previous = {
      table: 'design' as const,
      watermark: '2024-01-01 00:00:00.000',
      tail: [],
      newest: null,
      version: 4,
    };
    await saveWatermark(
      doc,
      'state',
      previous,
      { table: 'design', watermark: '2024-01-01 00:05:00.000', tail: null, newest: null },
      'run-2',
      'x',
    );
    const input = dynamo.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('#version = :expected AND #watermark <= :watermark');
    expect(input.ExpressionAttributeValues).toEqual({
      ':expected': 4,
      ':watermark': '2024-01-01 00:05:00.000',
    });
    expect(input.Item).toMatchObject({ version: 5, tailDropped: true });
    expect(input.Item?.tail).toBeUndefined();

    await expect(
      saveWatermark(
        doc,
        'state',
        previous,
        { table: 'design', watermark: '2023-12-31 00:00:00.000', tail: [], newest: null },
        'r',
        'x',
      ),
    ).rejects.toThrow(WatermarkConflictError);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('succeeds when the condition fails against its own first attempt (response lost, SDK retried)', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({
      Item: { pk: 'WATERMARK', sk: 'staff', watermark: '2024-01-01 00:00:00.000', version: 1, runId: 'r' },
    });
    const next = { table: 'staff', watermark: '2024-01-01 00:00:00.000', tail: [], newest: null } as const;
    await expect(saveWatermark(doc, 'state', emptyWatermark('staff'), next, 'r', 'x')).resolves.toEqual({
      ...next,
      version: 1,
    });
    // Another run's write (same version, other run id) stays a conflict.
    await expect(saveWatermark(doc, 'state', emptyWatermark('staff'), next, 'other', 'x')).rejects.toThrow(
      WatermarkConflictError,
    );
  });

  it('turns a lost race into WatermarkConflictError', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());
    await expect(
      saveWatermark(
        doc,
        'state',
        emptyWatermark('staff'),
        { table: 'staff', watermark: '2024-01-01 00:00:00.000', tail: [], newest: null },
        'r',
        'x',
      ),
    ).rejects.toThrow(WatermarkConflictError);
  });
});

describe('run log', () => {
  it('writes a run record with a TTL and the heartbeat', async () => {
    dynamo.on(PutCommand).resolves({});
    await recordRun(
      doc,
      'state',
      { runId: 'r1', status: 'unchanged', extractedAt: 'x', durationMs: 5, changedRows: 0, rows: 0 },
      1_700_000_000_000,
    );
    await recordHeartbeat(doc, 'state', {
      runId: 'r1',
      at: 'x',
      rows: 0,
      changedRows: 0,
      status: 'unchanged',
    });
    const [run, beat] = dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    expect(run).toMatchObject({
      pk: 'RUN',
      sk: 'r1',
      status: 'unchanged',
      expires_at: 1_700_000_000 + 30 * 86_400,
    });
    expect(beat).toMatchObject({ pk: 'HEARTBEAT', sk: 'extract', runId: 'r1' });
  });
});

describe('UnitWriter', () => {
  const runId = '20241101T102030123Z-abcd';
  const client = new S3Client({ region: 'eu-west-2' });

  it('puts table parts with the run id in the metadata, then a manifest listing them', async () => {
    s3.on(PutObjectCommand).resolves({});
    const writer = new UnitWriter(client, 'bucket', runId);
    await writer.writeTablePart('currency', [
      [1, 'GBP', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'],
    ]);
    await writer.writeTablePart('currency', []);
    await writer.writeTablePart('currency', [
      [2, 'USD', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'],
    ]);
    const { key } = await writer.writeManifest({
      extractedAt: '2024-11-01 10:20:30.123',
      windows: { currency: { from: null, to: '2024-11-01 10:20:30.123' } },
      changedRows: { currency: 2 },
    });
    const calls = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Key)).toEqual([
      'units/2024/11/01/20241101T102030123Z-abcd/currency.0001.json',
      'units/2024/11/01/20241101T102030123Z-abcd/currency.0002.json',
      'units/2024/11/01/20241101T102030123Z-abcd/manifest.json',
    ]);
    expect(key).toBe(calls[2]!.Key);
    for (const call of calls) {
      expect(call.Metadata?.['run-id']).toBe(runId);
      expect(call.IfNoneMatch).toBe('*');
    }
    const part = JSON.parse(String(calls[0]!.Body));
    expect(part).toMatchObject({ format: 'totes.ingestion.table.v1', runId, table: 'currency', part: 1 });
    expect(part.columns.map((c: { name: string }) => c.name)).toEqual([
      'currency_id',
      'currency_code',
      'created_at',
      'last_updated',
    ]);
    const manifest = JSON.parse(String(calls[2]!.Body));
    expect(manifest.objects).toEqual([
      { table: 'currency', key: calls[0]!.Key, part: 1, rows: 1 },
      { table: 'currency', key: calls[1]!.Key, part: 2, rows: 1 },
    ]);
  });

  it("accepts its own object when a retried PUT finds it (412), and refuses another run's object", async () => {
    const precondition = Object.assign(
      new Error('At least one of the pre-conditions you specified did not hold'),
      {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      },
    );
    s3.on(PutObjectCommand).rejects(precondition);
    s3.on(HeadObjectCommand)
      .resolvesOnce({ Metadata: { 'run-id': runId } })
      .resolvesOnce({ Metadata: { 'run-id': 'other' } });
    const writer = new UnitWriter(client, 'bucket', runId);
    await writer.writeTablePart('currency', [
      [1, 'GBP', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'],
    ]);
    await writer.settle(); // its PUT found this run's own object: kept
    expect(writer.objects).toHaveLength(1);
    // Handed over; S3 refuses it (another run's object), so the manifest is never written.
    await writer.writeTablePart('currency', [
      [2, 'USD', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'],
    ]);
    await expect(writer.writeManifest({ extractedAt: 'x', windows: {}, changedRows: {} })).rejects.toThrow(
      'pre-conditions',
    );
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key ?? '');
    expect(keys.filter((k) => k.endsWith('manifest.json'))).toEqual([]);
    // A manifest PUT failing is the run's failure too.
    s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const empty = new UnitWriter(client, 'bucket', runId);
    await expect(empty.writeManifest({ extractedAt: 'x', windows: {}, changedRows: {} })).rejects.toThrow(
      'AccessDenied',
    );
  });

  it('uses a multipart upload above the threshold', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"e"' });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const writer = new UnitWriter(client, 'bucket', runId, 100);
    // Above one 5 MiB part, so lib-storage really splits it (about 6 MiB of JSON).
    const stamp = '2022-11-03 14:20:49.962';
    const rows = Array.from({ length: 110_000 }, (_, i) => [i + 1, 'GBP', stamp, stamp]);
    await writer.writeTablePart('currency', rows);
    await writer.settle();
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.Metadata?.['run-id']).toBe(runId);
    expect(s3.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(2);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
  });
});
