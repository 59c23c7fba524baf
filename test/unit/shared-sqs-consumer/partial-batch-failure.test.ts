import { describe, expect, jest, test } from '@jest/globals';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  type RecordResults,
  sqsPartialBatchFailure,
} from '../../../shared/sqs-consumer/partial-batch-failure.ts';

const record = (messageId: string) => ({ messageId, body: '{}' }) as SQSRecord;
const event = (...ids: string[]): SQSEvent => ({ Records: ids.map(record) });
const context = {} as Context;

function handlerOf(inner: (event: SQSEvent) => Promise<RecordResults>, logger?: jest.Mock) {
  return middy<SQSEvent, RecordResults | SQSBatchResponse, Error, Context>()
    .use(sqsPartialBatchFailure(logger ? { logger } : { logger: false }))
    .handler(inner);
}

describe('sqsPartialBatchFailure (the behaviour of @middy/sqs-partial-batch-failure 6.4.5)', () => {
  test('reports exactly the rejected records, in record order, and logs each with its reason', async () => {
    const logger = jest.fn();
    const bad = new Error('bad object');
    const handler = handlerOf(
      async (e) =>
        Promise.allSettled(
          e.Records.map(async (r) => {
            if (r.messageId !== 'b') throw bad;
            return r.messageId;
          }),
        ),
      logger,
    );
    await expect(handler(event('a', 'b', 'c'), context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'c' }],
    });
    expect(logger).toHaveBeenCalledTimes(2);
    expect(logger).toHaveBeenCalledWith(bad, record('a'));
  });

  test('all records fulfilled: an empty failure list (nothing returns to the queue)', async () => {
    const handler = handlerOf(async (e) => Promise.allSettled(e.Records.map(async () => 'ok')));
    await expect(handler(event('a', 'b'), context)).resolves.toEqual({ batchItemFailures: [] });
  });

  test('a thrown handler error fails every record of the batch, and the invocation succeeds', async () => {
    const logger = jest.fn();
    const outage = new Error('no configuration');
    const handler = handlerOf(async () => {
      throw outage;
    }, logger);
    await expect(handler(event('a', 'b'), context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }],
    });
    expect(logger.mock.calls).toEqual([
      [outage, record('a')],
      [outage, record('b')],
    ]);
  });

  test('an error thrown by a later after step fails every record (Middy clears the response first)', async () => {
    const late = new Error('after the response');
    const handler = middy<SQSEvent, RecordResults | SQSBatchResponse, Error, Context>()
      .use({
        after: async () => {
          throw late;
        },
      })
      .use(sqsPartialBatchFailure({ logger: false }))
      .handler(async (): Promise<RecordResults> => [{ status: 'fulfilled', value: 1 }]);
    await expect(handler(event('a'), context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }],
    });
  });
});
