import {
  failedMessageIds,
  toSqsRecord,
} from '../../../services/tools/local-runtime/lambda/event-source-mapping.ts';
import { invokeLocally, lambdaContext } from '../../../services/tools/local-runtime/lambda/local-function.ts';
import { scheduledEvent } from '../../../services/tools/local-runtime/lambda/schedule.ts';

describe('partial batch response rules', () => {
  const ids = ['a', 'b', 'c'];

  it('fails exactly the reported items', () => {
    expect([
      ...failedMessageIds(ids, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }),
    ]).toEqual(['b']);
  });

  it('treats an empty or void response as all succeeded', () => {
    expect(failedMessageIds(ids, { ok: true, result: { batchItemFailures: [] } }).size).toBe(0);
    expect(failedMessageIds(ids, { ok: true, result: undefined }).size).toBe(0);
  });

  it('fails the whole batch on an invocation error, an unknown or an empty identifier', () => {
    expect(failedMessageIds(ids, { ok: false }).size).toBe(3);
    expect(
      failedMessageIds(ids, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'zz' }] } }).size,
    ).toBe(3);
    expect(
      failedMessageIds(ids, { ok: true, result: { batchItemFailures: [{ itemIdentifier: '' }] } }).size,
    ).toBe(3);
  });
});

describe('local Lambda invocation', () => {
  const fn = { name: 'totes-test', timeoutSeconds: 1, memoryMb: 128 };

  it('gives a context whose remaining time runs down from the timeout', async () => {
    const context = lambdaContext(fn, 'eu-west-2');
    const first = context.getRemainingTimeInMillis();
    expect(first).toBeLessThanOrEqual(1000);
    expect(first).toBeGreaterThan(500);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(context.getRemainingTimeInMillis()).toBeLessThan(first);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-west-2:000000000000:function:totes-test');
  });

  it('reports a handler that outlives its timeout as a timed-out failure', async () => {
    const outcome = await invokeLocally(
      { ...fn, handler: () => new Promise((resolve) => setTimeout(resolve, 1500)) },
      {},
      'eu-west-2',
    );
    expect(outcome).toMatchObject({ ok: false, timedOut: true });
  });

  it('returns the result and passes thrown errors through', async () => {
    expect(await invokeLocally({ ...fn, handler: async () => 42 }, {}, 'r')).toMatchObject({
      ok: true,
      result: 42,
    });
    const failed = await invokeLocally(
      {
        ...fn,
        handler: async () => {
          throw new TypeError('boom');
        },
      },
      {},
      'r',
    );
    expect(failed).toMatchObject({ ok: false, timedOut: false });
  });
});

describe('event shapes', () => {
  it('builds SQS records with the attributes handlers read', () => {
    const record = toSqsRecord(
      { MessageId: 'm1', ReceiptHandle: 'h', Body: '{}', Attributes: { ApproximateReceiveCount: '3' } },
      'arn:aws:sqs:eu-west-2:000000000000:q',
      'eu-west-2',
    );
    expect(record).toMatchObject({
      messageId: 'm1',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-2:000000000000:q',
      attributes: { ApproximateReceiveCount: '3' },
    });
  });

  it('builds the scheduled event EventBridge sends', () => {
    const event = scheduledEvent('totes-extract-schedule', 'eu-west-2', new Date('2026-01-02T03:04:05.678Z'));
    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-01-02T03:04:05Z',
      resources: ['arn:aws:events:eu-west-2:000000000000:rule/totes-extract-schedule'],
    });
  });
});
