import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { DatabasePool } from 'slonik';
import { createLoadProcessor } from '../../../services/lambdas/load/processor.ts';
import { objectIdentity, type S3ObjectRef } from '../../../shared/s3-events/index.ts';
import type { ProcessContext } from '../../../shared/sqs-consumer/index.ts';

const ref: S3ObjectRef = {
  bucket: 'processed',
  key: 'units/2024/03/01/20240301T000000000Z-p1/manifest.json',
  eTag: 'e',
  eventName: 'ObjectCreated:Put',
};

function context(): ProcessContext {
  return {
    stage: 'load',
    messageId: 'm-1',
    attempt: 1,
    runId: '20240301T000000000Z-p1',
    identity: objectIdentity(ref),
    logger: new Logger({ serviceName: 'load-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'totes-test', serviceName: 'load-test' }),
    lambdaContext: { getRemainingTimeInMillis: () => 60_000 } as ProcessContext['lambdaContext'],
  };
}

describe('createLoadProcessor', () => {
  it('asks for the warehouse pool before the unit has downloaded (a cold pool connects meanwhile)', async () => {
    const s3 = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const events: string[] = [];
    const pool = (): Promise<DatabasePool> => {
      events.push('pool');
      return Promise.reject(new Error('no warehouse in this test'));
    };
    mockClient(s3)
      .on(GetObjectCommand)
      .callsFake(async () => {
        // The manifest's download ends (here: fails) only on the event loop's next turns.
        await new Promise((resolve) => setTimeout(resolve, 10));
        events.push('manifest read');
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      });
    const processor = createLoadProcessor({ pool, s3: () => s3 });
    await expect(processor(ref, context())).rejects.toThrow(/does not exist|NoSuchKey/);
    expect(events).toEqual(['pool', 'manifest read']);
  });

  it('a pool that cannot be made while the unit downloads is not an unhandled failure', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const s3 = new S3Client({
        region: 'eu-west-2',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      mockClient(s3)
        .on(GetObjectCommand)
        .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
      const processor = createLoadProcessor({
        pool: () => Promise.reject(new Error('connection refused')),
        s3: () => s3,
      });
      await expect(processor(ref, context())).rejects.toThrow(/does not exist|NoSuchKey/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
