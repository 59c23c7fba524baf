import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type LocalAws, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { FaultInjector } from '../../../services/tools/local-runtime/faults/injector.ts';
import {
  type BatchReport,
  EventSourceMapping,
} from '../../../services/tools/local-runtime/lambda/event-source-mapping.ts';
import type { LocalFunction } from '../../../services/tools/local-runtime/lambda/local-function.ts';
import { type Clients, clientsFor } from './support.ts';

/** The Lambda-service faults of the local event source mapping: duplicates, reordering, timeouts. */
describe('event source mapping faults', () => {
  let aws: LocalAws;
  let clients: Clients;
  let queues = 0;

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'esmfaults', testEvents: false });
    clients = clientsFor(aws);
  });

  afterAll(async () => {
    clients.destroy();
    await aws.stop();
  });

  async function runMapping(
    faults: FaultInjector,
    bodies: readonly string[],
    handler: LocalFunction<SQSEvent, SQSBatchResponse | undefined>['handler'],
    until: (seen: string[]) => boolean,
    timeoutSeconds = 5,
  ): Promise<{ seen: string[]; reports: BatchReport[] }> {
    // A queue of its own per run: duplicates still hidden when a test ends cannot reach the next.
    const queueName = `esmfaults-${++queues}`;
    const { QueueUrl: queueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const seen: string[] = [];
    const reports: BatchReport[] = [];
    let reached: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const mapping = new EventSourceMapping({
      sqs: clients.sqs,
      queueUrl: queueUrl!,
      queueArn: `arn:aws:sqs:eu-west-2:000000000000:${queueName}`,
      region: aws.region,
      fn: {
        name: 'fn',
        timeoutSeconds,
        memoryMb: 128,
        handler: async (event, context) => {
          for (const r of event.Records) seen.push(r.body);
          // The handler's synchronous start has run (it may record what it saw) before the check.
          const result = handler(event, context);
          if (until(seen)) reached();
          return result;
        },
      },
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 1,
      retryDelaySeconds: 1,
      onBatch: (report) => reports.push(report),
      faults,
    });
    for (const body of bodies)
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl!, MessageBody: body }));
    mapping.start();
    // Waits for the condition itself; a run that never reaches it fails, saying what it saw.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the mapping never reached the condition; handled: ${JSON.stringify(seen)}`)),
        90_000,
      );
    });
    try {
      await Promise.race([done, gaveUp]);
    } finally {
      clearTimeout(timer);
      await mapping.stop();
    }
    return { seen, reports };
  }

  test('duplicate: every successful message is handled again (redelivered or re-sent)', async () => {
    const faults = FaultInjector.parse('duplicate=1', 2);
    faults.enabled = true;
    const { seen } = await runMapping(
      faults,
      ['a', 'b', 'c'],
      async () => ({ batchItemFailures: [] }),
      (s) => ['a', 'b', 'c'].every((body) => s.filter((x) => x === body).length >= 2),
    );
    for (const body of ['a', 'b', 'c'])
      expect(seen.filter((x) => x === body).length).toBeGreaterThanOrEqual(2);
    expect(faults.counts().duplicate).toBeGreaterThanOrEqual(3);
  });

  test('reorder: messages pushed back or shuffled all arrive, none lost', async () => {
    const faults = FaultInjector.parse('reorder=0.5', 5);
    faults.enabled = true;
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const { seen } = await runMapping(
      faults,
      bodies,
      async () => ({ batchItemFailures: [] }),
      (s) => bodies.every((b) => s.includes(b)),
    );
    expect(new Set(seen)).toEqual(new Set(bodies));
    expect(faults.counts().reorder).toBeGreaterThan(0);
  });

  test('timeout: the invocation is cut off with a short deadline and its batch comes back', async () => {
    const faults = FaultInjector.parse('timeout=1', 9);
    faults.enabled = true;
    const remaining: number[] = [];
    const { reports } = await runMapping(
      faults,
      ['slow'],
      async (_event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        await new Promise((r) => setTimeout(r, 1_600));
        return { batchItemFailures: [] };
      },
      () => remaining.length >= 2,
    );
    expect(remaining.length).toBeGreaterThanOrEqual(2);
    for (const ms of remaining) expect(ms).toBeLessThanOrEqual(1_500);
    const failed = reports.filter((r) => r.received > 0);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toMatchObject({ succeeded: 0, failed: 1 });
    expect(failed[0]?.invocationError).toMatchObject({ name: 'LambdaTimeoutError' });
  });
});
