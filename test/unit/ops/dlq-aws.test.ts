import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  awsTarget,
  listDlqs,
  type OpsTarget,
  peekByReceive,
  redrive,
  showDlq,
} from '../../../services/tools/ops/dlq/index.ts';
import { testClient } from '../../support/mocked-aws.ts';

const ACCOUNT = 'arn:aws:sqs:eu-west-2:123456789012';
const url = (name: string) => `https://sqs.eu-west-2.amazonaws.com/123456789012/${name}`;
const sqsMock = mockClient(SQSClient);
const docMock = mockClient(DynamoDBDocumentClient);
const noSleep = { now: () => 0, sleep: async () => {} };

function target(): OpsTarget {
  return awsTarget({
    prefix: 'totes',
    backupDir: tmpdir(),
    sqs: testClient(SQSClient),
    dynamo: testClient(DynamoDBClient),
  });
}

beforeEach(() => {
  sqsMock.reset();
  docMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
  for (const name of ['totes-transform', 'totes-transform-dlq', 'totes-load', 'totes-load-dlq']) {
    sqsMock.on(GetQueueUrlCommand, { QueueName: name }).resolves({ QueueUrl: url(name) });
    const attributes: Record<string, string> = { QueueArn: `${ACCOUNT}:${name}` };
    if (name.endsWith('-dlq')) {
      attributes.RedriveAllowPolicy = JSON.stringify({
        redrivePermission: 'byQueue',
        sourceQueueArnList: [`${ACCOUNT}:${name.replace(/-dlq$/, '')}`],
      });
    }
    sqsMock
      .on(GetQueueAttributesCommand, {
        QueueUrl: url(name),
        AttributeNames: ['All'],
      })
      .resolves({
        Attributes: attributes,
      });
  }
  sqsMock
    .on(GetQueueUrlCommand, { QueueName: 'totes-schedule-dlq' })
    .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
  sqsMock
    .on(GetQueueAttributesCommand, {
      QueueUrl: url('totes-load-dlq'),
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    })
    .resolves({
      Attributes: {
        ApproximateNumberOfMessages: '3',
        ApproximateNumberOfMessagesNotVisible: '0',
        ApproximateNumberOfMessagesDelayed: '0',
      },
    });
});

describe('dlq on AWS (mocked SDK)', () => {
  it('finds the DLQs by prefix, with their sources from the redrive allow policy; a missing queue is skipped', async () => {
    const t = target();
    const dlqs = await t.dlqs();
    expect(dlqs.map((d) => [d.name, d.source?.name, d.stage])).toEqual([
      ['totes-transform-dlq', 'totes-transform', 'transform'],
      ['totes-load-dlq', 'totes-load', 'load'],
    ]);
    const listed = await listDlqs(t);
    expect(listed.find((e) => e.queue === 'totes-load-dlq')).toMatchObject({
      depth: 3,
      oldestAgeSeconds: null,
    });
    await expect(t.dlq('totes-nope-dlq')).rejects.toThrow(
      /no DLQ named totes-nope-dlq \(known: totes-transform-dlq, totes-load-dlq\)/,
    );
    await t.close();
  });

  it('redrive --all starts a message move task to the source and follows it until COMPLETED', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          {
            TaskHandle: 'handle-1',
            Status: 'RUNNING',
            ApproximateNumberOfMessagesMoved: 1,
            ApproximateNumberOfMessagesToMove: 3,
          },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const t = target();
    const progress: [number, number][] = [];
    const result = await redrive(t, await t.dlq('totes-load-dlq'), {
      rate: 50,
      clock: noSleep,
      onProgress: (d, n) => progress.push([d, n]),
    });
    expect(result).toMatchObject({ mode: 'move-task', moved: 3, taskStatus: 'COMPLETED', aborted: false });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: `${ACCOUNT}:totes-load-dlq`,
      DestinationArn: `${ACCOUNT}:totes-load`,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0]?.args[0].input).toMatchObject({
      SourceArn: `${ACCOUNT}:totes-load-dlq`,
    });
    expect(progress).toEqual([
      [0, 3],
      [1, 3],
      [3, 3],
    ]);
    expect(sqsMock.commandCalls(CancelMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    await t.close();
  });

  it('an abort (Ctrl-C) cancels the move task and reports CANCELLED', async () => {
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-2' });
    sqsMock.on(CancelMessageMoveTaskCommand).resolves({ ApproximateNumberOfMessagesMoved: 1 });
    const controller = new AbortController();
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .callsFakeOnce(() => {
        controller.abort();
        return {
          Results: [{ TaskHandle: 'handle-2', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1 }],
        };
      })
      .resolvesOnce({
        Results: [{ TaskHandle: 'handle-2', Status: 'CANCELLING', ApproximateNumberOfMessagesMoved: 1 }],
      })
      .resolves({
        Results: [
          { Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const t = target();
    const result = await redrive(t, await t.dlq('totes-load-dlq'), {
      clock: noSleep,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ mode: 'move-task', taskStatus: 'CANCELLED', aborted: true, moved: 1 });
    const cancels = sqsMock.commandCalls(CancelMessageMoveTaskCommand);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.args[0].input).toEqual({ TaskHandle: 'handle-2' });
    await t.close();
  });

  it('with --backup, --all on AWS uses receive -> backup -> send -> delete (a move task cannot back up)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'totes-dlq-unit-'));
    try {
      const body = '{"Records":[]}';
      sqsMock
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: body }] })
        .resolves({ Messages: [] });
      sqsMock.on(SendMessageCommand).resolves({ MessageId: 'new-1' });
      sqsMock.on(DeleteMessageCommand).resolves({});
      const t = target();
      const backupFile = path.join(dir, 'backup.jsonl');
      const result = await redrive(t, await t.dlq('totes-load-dlq'), { backupFile, clock: noSleep });
      expect(result).toMatchObject({ mode: 'receive-send-delete', moved: 1, messageIds: ['m1'] });
      expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
      expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
        QueueUrl: url('totes-load'),
        MessageBody: body,
      });
      expect(sqsMock.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({
        QueueUrl: url('totes-load-dlq'),
        ReceiptHandle: 'r1',
      });
      const lines = readFileSync(backupFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({ messageId: 'm1', body, action: 'redrive', destination: 'totes-load' }),
      ]);
      await t.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('peek by receive makes every received message visible again at once, and reports the count before the look', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'a',
            ReceiptHandle: 'ra',
            Body: 'x',
            Attributes: { ApproximateReceiveCount: '7', SentTimestamp: '1764291600000' },
          },
          { MessageId: 'b', ReceiptHandle: 'rb', Body: 'y', Attributes: { ApproximateReceiveCount: '6' } },
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = { name: 'totes-load-dlq', url: url('totes-load-dlq'), arn: `${ACCOUNT}:totes-load-dlq` };
    const peeked = await peekByReceive(new SQSClient({ region: 'eu-west-2' }), queue, 10);
    expect(peeked).toEqual([
      { messageId: 'a', body: 'x', receiveCount: 6, sentAt: new Date(1764291600000).toISOString() },
      { messageId: 'b', body: 'y', receiveCount: 5, sentAt: null },
    ]);
    const changes = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'ra', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'rb', VisibilityTimeout: 0 },
    ]);
  });

  it('show on AWS: peeks by receive, joins the failure record of the stage on bucket/key from the state table', async () => {
    const key = 'units/2026/11/28/r9/manifest.json';
    const body = JSON.stringify({
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'totes-processed' }, object: { key, eTag: 'e1' } },
        },
      ],
    });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm9',
            ReceiptHandle: 'r9',
            Body: body,
            Attributes: { ApproximateReceiveCount: '6', SentTimestamp: '1764291600000' },
          },
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    docMock.on(GetCommand).resolves({
      Item: {
        pk: 'FAILURE#load',
        sk: `totes-processed/${key}`,
        stage: 'load',
        bucket: 'totes-processed',
        key,
        messageId: 'm9',
        eTag: 'e1',
        errorClass: 'LoadError',
        rootErrorClass: 'DatabaseError',
        errorMessage:
          'load failed <- DatabaseError: permission denied for table fact_sales_order (code 42501)',
        attempt: 5,
        failedAt: '2026-11-28T01:00:00.000Z',
      },
    });
    const t = target();
    const views = await showDlq(t, await t.dlq('totes-load-dlq'), 10);
    expect(views).toEqual([
      expect.objectContaining({
        messageId: 'm9',
        key,
        receiveCount: 5,
        failure: expect.objectContaining({
          errorClass: 'LoadError',
          errorMessage: expect.stringContaining('permission denied for table fact_sales_order'),
          failedAt: '2026-11-28T01:00:00.000Z',
        }),
      }),
    ]);
    expect(docMock.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'totes-pipeline-state',
      Key: { pk: 'FAILURE#load', sk: `totes-processed/${key}` },
    });
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
    await t.close();
  });
});
