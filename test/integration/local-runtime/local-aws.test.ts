import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { pipelineResources } from '../../../shared/config/resources.ts';
import { type Clients, clientsFor, drain, isTestEvent, receiveAll } from './support.ts';

describe('local AWS harness (in memory)', () => {
  let aws: LocalAws;
  let clients: Clients;

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'harness' });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  test('hands out endpoints, region and dummy credentials for the SDK', () => {
    expect(aws.env).toEqual({
      AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
      AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
    });
    for (const url of Object.values(aws.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Object.keys(aws.queueUrls).sort()).toEqual([
      'harness-load',
      'harness-load-dlq',
      'harness-transform',
      'harness-transform-dlq',
    ]);
  });

  test('creates every queue with its DLQ, redrive policy, visibility and retention as declared', async () => {
    const resources = pipelineResources('harness', 'local');
    for (const queue of Object.values(resources.queues)) {
      const { Attributes: main } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: aws.queueUrls[queue.name], AttributeNames: ['All'] }),
      );
      const { Attributes: dlq } = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: aws.queueUrls[queue.dlqName],
          AttributeNames: ['QueueArn', 'MessageRetentionPeriod', 'RedriveAllowPolicy'],
        }),
      );
      expect(main?.VisibilityTimeout).toBe(String(queue.visibilityTimeoutSeconds));
      expect(main?.MessageRetentionPeriod).toBe(String(queue.messageRetentionSeconds));
      expect(JSON.parse(main?.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: dlq?.QueueArn,
        maxReceiveCount: queue.maxReceiveCount,
      });
      expect(dlq?.MessageRetentionPeriod).toBe(String(queue.dlqRetentionSeconds));
      expect(JSON.parse(dlq?.RedriveAllowPolicy ?? '{}')).toEqual({
        redrivePermission: 'byQueue',
        sourceQueueArnList: [main?.QueueArn],
      });
    }
  });

  test('creates both tables with the declared key schema', async () => {
    const { tables } = pipelineResources('harness', 'local');
    const idempotency = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: tables.idempotency.name }),
    );
    expect(idempotency.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const state = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tables.state.name }));
    expect(state.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    // dynalite has no UpdateTimeToLive: TTL stays off locally (createResources skips it).
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tables.state.name }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  test('round-trips an object, and a 12 MiB one through a multipart upload', async () => {
    const bucket = aws.resources.buckets.processed;
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'units/small.json',
        Body: '{"ok":true}',
        ContentType: 'application/json',
        Metadata: { stage: 'test' },
      }),
    );
    const small = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'units/small.json' }));
    expect(await small.Body?.transformToString()).toBe('{"ok":true}');
    expect(small.ContentType).toBe('application/json');
    expect(small.Metadata).toEqual({ stage: 'test' });

    const big = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await new Upload({
      client: clients.s3,
      params: { Bucket: bucket, Key: 'units/big.bin', Body: big },
    }).done();
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'units/big.bin' }));
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'units/big.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(big).digest('hex'),
    );
  });

  test('a message received maxReceiveCount times without deletion lands in the DLQ', async () => {
    const queue = aws.resources.queues.load;
    const queueUrl = aws.queueUrls[queue.name]!;
    const dlqUrl = aws.queueUrls[queue.dlqName]!;
    expect((await drain(clients.sqs, queueUrl)).filter((body) => !isTestEvent(body))).toEqual([]);
    const { MessageId } = await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }),
    );
    for (let attempt = 1; attempt <= queue.maxReceiveCount; attempt += 1) {
      const { Messages } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      expect(Messages?.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount])).toEqual([
        [MessageId, String(attempt)],
      ]);
    }
    const after = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(after.Messages).toBeUndefined();
    const inDlq = await receiveAll(clients.sqs, dlqUrl);
    expect(inDlq.map((m) => [m.MessageId, m.Body])).toEqual([[MessageId, 'poison']]);
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: inDlq[0]!.ReceiptHandle }),
    );
  });

  test('a queue URL with another host or an old port still names the queue', async () => {
    const queue = aws.resources.queues.transform;
    const url = aws.queueUrls[queue.dlqName]!.replace(/^http:\/\/127\.0\.0\.1:\d+/, 'http://localhost:1');
    const { MessageId } = await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'by name' }),
    );
    const received = await receiveAll(clients.sqs, aws.queueUrls[queue.dlqName]!);
    expect(received.map((m) => [m.MessageId, m.Body])).toEqual([[MessageId, 'by name']]);
  });

  test('a second conditional PutItem fails with ConditionalCheckFailedException', async () => {
    const TableName = aws.resources.tables.state.name;
    const put = () =>
      clients.dynamodb.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'LEASE' }, sk: { S: 'extract' }, owner: { S: 'a' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const { Item } = await clients.dynamodb.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'LEASE' }, sk: { S: 'extract' } } }),
    );
    expect(Item?.owner).toEqual({ S: 'a' });
  });

  test('two harnesses side by side do not share state', async () => {
    const other = await startLocalAws({ prefix: 'harness' });
    try {
      expect(other.endpoints.s3).not.toBe(aws.endpoints.s3);
      const s3 = clientsFor(other);
      try {
        await expect(
          s3.s3.send(
            new GetObjectCommand({ Bucket: aws.resources.buckets.processed, Key: 'units/small.json' }),
          ),
        ).rejects.toMatchObject({ name: 'NoSuchKey' });
      } finally {
        s3.destroy();
      }
    } finally {
      await other.stop();
      Object.assign(process.env, aws.env);
    }
  });
});
