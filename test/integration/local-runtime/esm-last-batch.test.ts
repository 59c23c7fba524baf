import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { EventSourceMapping } from '../../../services/tools/local-runtime/lambda/event-source-mapping.ts';
import { type Clients, clientsFor } from './support.ts';

/** `runOnce` ends a run's clock at its last batch's end, not when polling notices the drain. */
describe('event source mapping: the end of its last batch', () => {
  let aws: LocalAws;
  let clients: Clients;

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'esmlast', testEvents: false });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  it('is unknown before the first batch, then the time the handler’s batch was settled', async () => {
    const queueUrl = aws.queueUrls[aws.resources.queues.load.name]!;
    const handlerEnds: number[] = [];
    const mapping = new EventSourceMapping({
      sqs: clients.sqs,
      queueUrl,
      queueArn: 'arn:aws:sqs:eu-west-2:000000000000:esmlast-load',
      region: aws.region,
      fn: {
        name: 'quick',
        timeoutSeconds: 10,
        memoryMb: 128,
        handler: async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          handlerEnds.push(Date.now());
          return { batchItemFailures: [] };
        },
      },
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 1,
      retryDelaySeconds: 1,
    });
    expect(mapping.lastBatchEndedAt).toBeUndefined();
    mapping.start();
    try {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'one unit' }));
      const deadline = Date.now() + 60_000;
      while (mapping.lastBatchEndedAt === undefined && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const ended = mapping.lastBatchEndedAt;
      expect(handlerEnds).toHaveLength(1);
      // After the handler returned (and its message was deleted), before anyone looked.
      expect(ended).toBeGreaterThanOrEqual(handlerEnds[0]!);
      expect(ended).toBeLessThanOrEqual(Date.now());
      expect(mapping.inFlight).toBe(0);
    } finally {
      await mapping.stop();
    }
  });
});
