import { Writable } from 'node:stream';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { GetBucketNotificationConfigurationCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetSecretValueCommand,
  ResourceNotFoundException as NoSecret,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { doctorCommand } from '../../../services/tools/cli/commands/doctor.ts';
import { CliError } from '../../../services/tools/cli/errors.ts';
import { resourceChecks } from '../../../services/tools/ops/doctor/index.ts';
import { pipelineResources } from '../../../shared/config/resources.ts';
import { testClient } from '../../support/mocked-aws.ts';

const ARN = 'arn:aws:sqs:eu-west-2:123456789012';
const url = (name: string) => `https://sqs.eu-west-2.amazonaws.com/123456789012/${name}`;
const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const dynamoMock = mockClient(DynamoDBClient);
const secretsMock = mockClient(SecretsManagerClient);
const resources = pipelineResources('totes', 'aws');
const clients = () => ({
  sqs: testClient(SQSClient),
  s3: testClient(S3Client),
  dynamodb: testClient(DynamoDBClient),
});
const options = { mode: 'aws' as const, resources, recreate: 'terraform apply' };

/** A deployment wired exactly as resources.ts declares, queues listed over two pages. */
function wellWired() {
  sqsMock.reset();
  s3Mock.reset();
  dynamoMock.reset();
  secretsMock.reset();
  sqsMock
    .on(ListQueuesCommand, { QueueNamePrefix: 'totes', MaxResults: 1000 })
    .resolves({ QueueUrls: [url('totes-transform'), url('totes-transform-dlq')], NextToken: 'page-2' });
  sqsMock
    .on(ListQueuesCommand, { QueueNamePrefix: 'totes', MaxResults: 1000, NextToken: 'page-2' })
    .resolves({ QueueUrls: [url('totes-load'), url('totes-load-dlq'), url('totes-schedule-dlq')] });
  for (const queue of Object.values(resources.queues)) {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url(queue.name) }).resolves({
      Attributes: {
        QueueArn: `${ARN}:${queue.name}`,
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(queue.messageRetentionSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:${queue.dlqName}`, maxReceiveCount: 5 }),
      },
    });
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url(queue.dlqName) }).resolves({
      Attributes: {
        QueueArn: `${ARN}:${queue.dlqName}`,
        MessageRetentionPeriod: String(queue.dlqRetentionSeconds),
      },
    });
  }
  s3Mock.on(HeadBucketCommand).resolves({});
  for (const n of resources.notifications) {
    s3Mock.on(GetBucketNotificationConfigurationCommand, { Bucket: n.bucket }).resolves({
      QueueConfigurations: [
        {
          Id: 'other',
          QueueArn: `${ARN}:someone-else`,
          Events: ['s3:ObjectRemoved:*'],
        },
        {
          Id: `${n.queue}-manifests`,
          QueueArn: `${ARN}:${n.queue}`,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: 'manifest.json' }] } },
        },
      ],
    });
  }
  dynamoMock.on(DescribeTableCommand, { TableName: 'totes-idempotency' }).resolves({
    Table: { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
  });
  dynamoMock.on(DescribeTableCommand, { TableName: 'totes-pipeline-state' }).resolves({
    Table: {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    },
  });
  dynamoMock.on(DescribeTimeToLiveCommand, { TableName: 'totes-idempotency' }).resolves({
    TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiration' },
  });
  dynamoMock.on(DescribeTimeToLiveCommand, { TableName: 'totes-pipeline-state' }).resolves({
    TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' },
  });
}

beforeEach(wellWired);

describe('doctor resource checks on AWS (aws-sdk-client-mock)', () => {
  it('a deployment as declared: every check OK, queues found across ListQueues pages', async () => {
    const checks = await resourceChecks(clients(), options);
    expect(checks.filter((c) => c.status !== 'OK')).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'bucket totes-ingestion',
      'bucket totes-processed',
      'queue totes-transform',
      'DLQ totes-transform-dlq',
      'redrive totes-transform → totes-transform-dlq',
      'queue totes-load',
      'DLQ totes-load-dlq',
      'redrive totes-load → totes-load-dlq',
      'notification totes-ingestion → totes-transform',
      'notification totes-processed → totes-load',
      'table totes-idempotency',
      'table totes-pipeline-state',
    ]);
    expect(sqsMock.commandCalls(ListQueuesCommand)).toHaveLength(2);
    // Attribute names every implementation knows: never All, never RedriveAllowPolicy.
    for (const call of sqsMock.commandCalls(GetQueueAttributesCommand)) {
      expect(call.args[0].input.AttributeNames).toEqual([
        'QueueArn',
        'RedrivePolicy',
        'VisibilityTimeout',
        'MessageRetentionPeriod',
      ]);
    }
  });

  it('a DLQ missing from the listing: the DLQ and the redrive FAIL with the fix', async () => {
    sqsMock
      .on(ListQueuesCommand, { QueueNamePrefix: 'totes', MaxResults: 1000, NextToken: 'page-2' })
      .resolves({ QueueUrls: [url('totes-load')] });
    const checks = await resourceChecks(clients(), options);
    const failed = checks.filter((c) => c.status === 'FAIL');
    expect(failed.map((c) => c.name)).toEqual(['DLQ totes-load-dlq', 'redrive totes-load → totes-load-dlq']);
    expect(failed.every((c) => c.fix === 'terraform apply')).toBe(true);
  });

  it('no redrive policy, a wrong target, a different maxReceiveCount', async () => {
    const transform = resources.queues.transform;
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url(transform.name) }).resolves({
      Attributes: {
        QueueArn: `${ARN}:${transform.name}`,
        VisibilityTimeout: '720',
        MessageRetentionPeriod: '345600',
      },
    });
    let check = (await resourceChecks(clients(), options)).find((c) =>
      c.name.startsWith('redrive totes-transform'),
    );
    expect(check).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('has no redrive policy') });

    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url(transform.name) }).resolves({
      Attributes: {
        QueueArn: `${ARN}:${transform.name}`,
        VisibilityTimeout: '720',
        MessageRetentionPeriod: '345600',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${ARN}:totes-load-dlq`, maxReceiveCount: 5 }),
      },
    });
    check = (await resourceChecks(clients(), options)).find((c) =>
      c.name.startsWith('redrive totes-transform'),
    );
    expect(check).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('targets arn:aws:sqs:eu-west-2:123456789012:totes-load-dlq'),
    });

    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url(transform.name) }).resolves({
      Attributes: {
        QueueArn: `${ARN}:${transform.name}`,
        VisibilityTimeout: '30',
        MessageRetentionPeriod: '345600',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: `${ARN}:totes-transform-dlq`,
          maxReceiveCount: 1,
        }),
      },
    });
    const checks = await resourceChecks(clients(), options);
    expect(checks.find((c) => c.name.startsWith('redrive totes-transform'))).toMatchObject({
      status: 'WARN',
      detail: 'maxReceiveCount 1, declared 5',
    });
    expect(checks.find((c) => c.name === 'queue totes-transform')).toMatchObject({
      status: 'WARN',
      detail: 'exists; visibility timeout 30s, declared 720s',
    });
  });

  it('a bucket notification missing or with the wrong suffix FAILs; TTL off WARNs; a missing table FAILs', async () => {
    s3Mock.on(GetBucketNotificationConfigurationCommand, { Bucket: 'totes-processed' }).resolves({});
    s3Mock.on(GetBucketNotificationConfigurationCommand, { Bucket: 'totes-ingestion' }).resolves({
      QueueConfigurations: [{ QueueArn: `${ARN}:totes-transform`, Events: ['s3:ObjectCreated:*'] }],
    });
    dynamoMock
      .on(DescribeTimeToLiveCommand, { TableName: 'totes-pipeline-state' })
      .resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    dynamoMock
      .on(DescribeTableCommand, { TableName: 'totes-idempotency' })
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const checks = await resourceChecks(clients(), options);
    const notOk = Object.fromEntries(
      checks.filter((c) => c.status !== 'OK').map((c) => [c.name, [c.status, c.detail]]),
    );
    expect(notOk).toEqual({
      'notification totes-ingestion → totes-transform': [
        'FAIL',
        'events s3:ObjectCreated:*, suffix none; declared s3:ObjectCreated:* for *manifest.json',
      ],
      'notification totes-processed → totes-load': [
        'FAIL',
        'no notification of totes-processed targets totes-load: new units are never loaded',
      ],
      'table totes-idempotency': ['FAIL', 'does not exist'],
      'table totes-pipeline-state': [
        'WARN',
        'exists, keys HASH pk, RANGE sk; TTL DISABLED, declared on expires_at: old records are never removed',
      ],
    });
  });
});

describe('totes doctor --aws', () => {
  const io = () => {
    let text = '';
    const out = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    return { io: { out, err: out, env: { AWS_REGION: 'eu-west-2', ...credentialsEnv } }, text: () => text };
  };
  const credentialsEnv = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
    Object.assign(process.env, { AWS_REGION: 'eu-west-2', ...credentialsEnv });
  });
  afterEach(() => {
    process.env = saved;
  });

  it('an unreadable secret is a FAIL naming it (exit 1); the resources are still checked', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(new NoSecret({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const { io: streams, text } = io();
    const code = await doctorCommand({ aws: true, prefix: 'totes', json: true }, streams);
    expect(code).toBe(1);
    const report = JSON.parse(text()) as {
      checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
    };
    expect(report.checks.find((c) => c.name === 'source secret')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('cannot read secret totes/totesys'),
      fix: expect.stringContaining('--source-secret'),
    });
    expect(report.checks.filter((c) => c.name.startsWith('queue ')).map((c) => c.status)).toEqual([
      'OK',
      'OK',
    ]);
  });

  it('an unreachable database on AWS is a FAIL whose fix says where doctor must run from', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(new NoSecret({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const { io: streams, text } = io();
    const code = await doctorCommand(
      { aws: true, json: true, warehouseUrl: 'postgres://load:secret@127.0.0.1:1/warehouse' },
      streams,
    );
    expect(code).toBe(1);
    const report = JSON.parse(text()) as {
      checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
    };
    const reach = report.checks.find((c) => c.name === 'warehouse reachable');
    expect(reach).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('connection refused') });
    expect(reach?.detail).not.toContain('secret@');
    expect(reach?.fix).toContain('a private RDS is not reachable from outside its VPC');
  });

  it('no usable AWS credentials: doctor could not run, exit 2', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const { io: streams } = io();
    const error = await doctorCommand({ aws: true }, streams).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toMatch(/^could not reach AWS: CredentialsProviderError/);
  });
});
