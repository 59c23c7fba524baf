import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, test } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { describeError, failureStore } from '../../../shared/failures/index.ts';

describe('describeError', () => {
  test('walks the cause chain so the underlying (database) message is kept', () => {
    const db = Object.assign(new Error('insert or update on table "fact_payment" violates foreign key'), {
      code: '23503',
    });
    db.name = 'ForeignKeyIntegrityConstraintViolationError';
    const outer = new TypeError('load failed', { cause: db });
    expect(describeError(outer)).toEqual({
      errorClass: 'TypeError',
      rootErrorClass: 'ForeignKeyIntegrityConstraintViolationError',
      errorMessage:
        'load failed <- ForeignKeyIntegrityConstraintViolationError: insert or update on table "fact_payment" violates foreign key (code 23503)',
    });
  });

  test('subclass names, non-errors and cycles', () => {
    class UnknownColumnError extends Error {}
    expect(describeError(new UnknownColumnError('x')).errorClass).toBe('UnknownColumnError');
    expect(describeError('boom')).toMatchObject({ errorClass: 'string', errorMessage: 'boom' });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeError(b).errorMessage).toBe('b <- Error: a');
  });
});

describe('failureStore.record', () => {
  test('writes pk FAILURE#<stage>, sk <bucket>/<key> and every attribute the ops tool reads', async () => {
    const mock = mockClient(DynamoDBDocumentClient);
    mock.on(PutCommand).resolves({});
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }));
    const store = failureStore({ tableName: 'state', client });
    const failedAt = new Date('2026-11-28T01:02:03.456Z');
    await store.record({
      stage: 'load',
      bucket: 'totes-processed',
      key: 'units/2026/11/28/r/manifest.json',
      messageId: 'm-1',
      eTag: 'etag',
      error: new Error('outer', { cause: new Error('inner') }),
      attempt: 4,
      failedAt,
    });
    const input = mock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('state');
    expect(input.Item).toEqual({
      pk: 'FAILURE#load',
      sk: 'totes-processed/units/2026/11/28/r/manifest.json',
      stage: 'load',
      bucket: 'totes-processed',
      key: 'units/2026/11/28/r/manifest.json',
      messageId: 'm-1',
      eTag: 'etag',
      errorClass: 'Error',
      rootErrorClass: 'Error',
      errorMessage: 'outer <- Error: inner',
      attempt: 4,
      failedAt: '2026-11-28T01:02:03.456Z',
      expires_at: Math.floor(failedAt.getTime() / 1000) + 30 * 24 * 3600,
    });
    mock.restore();
  });
});
