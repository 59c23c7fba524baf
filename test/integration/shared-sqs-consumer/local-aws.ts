/**
 * Emulators for the consumer and transform integration tests: the local runtime's S3 stand-in
 * (fauxqs with the harness's S3 rules: `If-None-Match: *` refused with 412 on an existing key,
 * bucket-name checks; in memory) and dynalite (DynamoDB), in-process on ephemeral ports, with the
 * tables the consumer expects (Powertools idempotency table keyed `id`; state table keyed
 * `pk` + `sk`). The handlers rely on S3's conditional writes, so the stand-in must honour them.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { stateTableInput } from '../../../services/tools/local-runtime/aws/create-resources.ts';
import { SnsStore } from '../../../services/tools/local-runtime/aws/fauxqs-internals.ts';
import { installRequestContext } from '../../../services/tools/local-runtime/aws/request-context.ts';
import { installS3Guards } from '../../../services/tools/local-runtime/aws/s3-guards.ts';
import { LocalS3Store } from '../../../services/tools/local-runtime/aws/s3-store.ts';
import { LocalSqsStore } from '../../../services/tools/local-runtime/aws/sqs-store.ts';

export interface LocalAws {
  readonly s3: S3Client;
  readonly dynamoDb: DynamoDBClient;
  readonly s3Endpoint: string;
  readonly dynamoDbEndpoint: string;
  createBucket(name: string): Promise<void>;
  createIdempotencyTable(name: string): Promise<void>;
  createStateTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface DynaliteServer {
  listen(port: number, callback: (error?: Error) => void): void;
  address(): AddressInfo;
  close(callback: (error?: Error) => void): void;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function startLocalAwsForTests(): Promise<LocalAws> {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  process.env.AWS_REGION ??= 'eu-west-2';
  const fauxqs = buildApp({
    logger: false,
    defaultRegion: 'eu-west-2',
    stores: { sqsStore: new LocalSqsStore(), snsStore: new SnsStore(), s3Store: new LocalS3Store() },
  });
  installS3Guards(fauxqs);
  installRequestContext(fauxqs);
  const fauxqsAddress = await fauxqs.listen({ port: 0, host: '127.0.0.1' });
  // dynalite ships no type declarations.
  const dynaliteModule = 'dynalite';
  const { default: dynalite } = (await import(dynaliteModule)) as {
    default: (options: { createTableMs: number }) => DynaliteServer;
  };
  const dynaliteServer = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) =>
    dynaliteServer.listen(0, (error) => (error ? reject(error) : resolve())),
  );
  const s3Endpoint = fauxqsAddress;
  const dynamoDbEndpoint = `http://127.0.0.1:${dynaliteServer.address().port}`;
  const s3 = new S3Client({ region: 'eu-west-2', endpoint: s3Endpoint, forcePathStyle: true, credentials });
  const dynamoDb = new DynamoDBClient({ region: 'eu-west-2', endpoint: dynamoDbEndpoint, credentials });
  return {
    s3,
    dynamoDb,
    s3Endpoint,
    dynamoDbEndpoint,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createIdempotencyTable(name) {
      await dynamoDb.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    },
    async createStateTable(name) {
      await dynamoDb.send(
        new CreateTableCommand(stateTableInput({ name: name, partitionKey: 'pk', sortKey: 'sk' })),
      );
    },
    async stop() {
      s3.destroy();
      dynamoDb.destroy();
      await fauxqs.close();
      await new Promise<void>((resolve) => dynaliteServer.close(() => resolve()));
    },
  };
}
