/**
 * The Lambda handler as the runtime calls it: configuration from the environment only (names from
 * shared/config/env.ts), real SDK clients pointed at the local emulators by the SDK's own endpoint
 * variables, EMF metrics on stdout.
 */
import type { Context } from 'aws-lambda';
import {
  LOCAL_CREDENTIALS,
  type LocalAws,
  startLocalAws,
} from '../../../services/tools/local-runtime/aws/index.ts';
import { ENV } from '../../../shared/config/env.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { createSource, seedFixture } from './support.ts';

const context = {
  functionName: 'totes-extract',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:000000000000:function:totes-extract',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/totes-extract',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

describe('extract handler', () => {
  let db: TestDatabase;
  let local: LocalAws;
  const saved = { ...process.env };
  const stdout: string[] = [];
  let write: typeof process.stdout.write;

  beforeAll(async () => {
    db = await createTestDatabase('extract_handler');
    await createSource(db.pool);
    await seedFixture(db.pool);
    local = await startLocalAws({ testEvents: false });
    Object.assign(process.env, {
      [ENV.ingestionBucket]: local.resources.buckets.ingestion,
      [ENV.stateTable]: local.resources.tables.state.name,
      [ENV.logLevel]: 'ERROR',
      [ENV.metricsNamespace]: 'totes-test',
      [ENV.extractPartSize]: '2',
      AWS_ENDPOINT_URL_S3: local.endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoints.dynamodb,
      AWS_REGION: local.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    delete process.env[ENV.totesysUrl];
    delete process.env[ENV.totesysSecretId];
    write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stdout.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  });
  afterAll(async () => {
    const { closeSourcePool } = await import('../../../services/lambdas/extract/handler.ts');
    await closeSourcePool();
    process.stdout.write = write;
    process.env = saved;
    await local.stop();
    await db.drop();
  });

  it('fails loudly without source configuration, then extracts once it is given', async () => {
    const { handler } = await import('../../../services/lambdas/extract/handler.ts');
    await expect(handler(undefined, context)).rejects.toThrow(`set ${ENV.totesysUrl}`);

    process.env[ENV.totesysUrl] = db.url;
    const result = await handler(undefined, context);
    if (result.status !== 'extracted') throw new Error(result.status);
    // EXTRACT_PART_SIZE=2: the four payment types come in two parts.
    expect(result.manifest.objects.filter((o) => o.table === 'payment_type').map((o) => o.rows)).toEqual([
      2, 2,
    ]);
    const second = await handler(undefined, context);
    expect(second.status).toBe('unchanged');

    // EMF: one document per publish with the run's metrics, and per-table row counts.
    const emf = stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = emf.flatMap((doc) =>
      (doc._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((m) =>
        m.Metrics.map((x) => x.Name),
      ),
    );
    expect(names).toEqual(
      expect.arrayContaining(['RunsSucceeded', 'RunDuration', 'SourceLag', 'RowsExtracted']),
    );
    const address = emf.find((doc) => doc.table === 'address' && doc.RowsExtracted === 4);
    expect(address).toBeDefined();
  });
});
