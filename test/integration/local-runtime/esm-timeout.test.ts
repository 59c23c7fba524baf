import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { EventSourceMapping } from '../../../services/tools/local-runtime/lambda/event-source-mapping.ts';
import { type Clients, clientsFor } from './support.ts';

/**
 * On AWS a timed-out invocation's sandbox is gone; in-process the handler runs on. The mapping must
 * not start the message's retry beside it, or slow units would pile up invocation on invocation.
 */
describe('event source mapping after a Lambda timeout', () => {
  let aws: LocalAws;
  let clients: Clients;

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'esmtimeout', testEvents: false });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  it('keeps the timed-out handler’s concurrency slot until it really ends', async () => {
    const queueUrl = aws.queueUrls[aws.resources.queues.load.name]!;
    let running = 0;
    let mostAtOnce = 0;
    let invocations = 0;
    const mapping = new EventSourceMapping({
      sqs: clients.sqs,
      queueUrl,
      queueArn: 'arn:aws:sqs:eu-west-2:000000000000:esmtimeout-load',
      region: aws.region,
      fn: {
        name: 'slow',
        timeoutSeconds: 1,
        memoryMb: 128,
        handler: async () => {
          invocations++;
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          // Outlives its 1 s timeout well past the 1 s retry delay.
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          running--;
          return { batchItemFailures: [] };
        },
      },
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 1,
      retryDelaySeconds: 1,
    });
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'slow unit' }));
    mapping.start();
    // The retry comes about 4 s in (the 3 s handler, 1 s retry delay); a generous bound when loaded.
    const deadline = Date.now() + 90_000;
    while (invocations < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await mapping.stop();
    expect(invocations).toBeGreaterThanOrEqual(2);
    expect(mostAtOnce).toBe(1);
  });
});
