import { describe, expect, test } from '@jest/globals';
import { runIdFromKey } from '../../../shared/lake/keys.ts';
import {
  BadNotificationError,
  decodeS3Key,
  objectIdentity,
  objectIdentityKey,
  parseS3NotificationBody,
} from '../../../shared/s3-events/index.ts';

const record = (object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-11-28T01:00:00.000Z',
  s3: { bucket: { name: 'totes-ingestion' }, object },
  ...extra,
});

describe('parseS3NotificationBody', () => {
  test('several records per message, keys decoded (+ is a space, %2B is a plus)', () => {
    const parsed = parseS3NotificationBody(
      JSON.stringify({
        Records: [
          record({ key: 'units/2026/11/28/r/manifest.json', eTag: 'abc', sequencer: '01', size: 10 }),
          record({ key: 'units/a+b%2Bc/O%27Keefe%C3%A9.json', eTag: '"def"' }),
        ],
      }),
    );
    expect(parsed.kind).toBe('objects');
    if (parsed.kind !== 'objects') throw new Error('unreachable');
    expect(parsed.objects).toEqual([
      {
        bucket: 'totes-ingestion',
        key: 'units/2026/11/28/r/manifest.json',
        eTag: 'abc',
        sequencer: '01',
        size: 10,
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-28T01:00:00.000Z',
      },
      {
        bucket: 'totes-ingestion',
        key: "units/a b+c/O'Keefeé.json",
        eTag: 'def',
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-28T01:00:00.000Z',
      },
    ]);
  });

  test('s3:TestEvent is recognised', () => {
    expect(
      parseS3NotificationBody(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' })),
    ).toEqual({ kind: 'test-event', bucket: 'b' });
  });

  test.each([
    ['not JSON', 'not json'],
    ['an array', '[]'],
    ['no Records', '{"foo":1}'],
    ['empty Records', '{"Records":[]}'],
    [
      'another event source',
      JSON.stringify({ Records: [record({ key: 'k', eTag: 'e' }, { eventSource: 'aws:sns' })] }),
    ],
    [
      'a removal',
      JSON.stringify({ Records: [record({ key: 'k', eTag: 'e' }, { eventName: 'ObjectRemoved:Delete' })] }),
    ],
    ['no key', JSON.stringify({ Records: [record({ eTag: 'e' })] })],
    ['no identity', JSON.stringify({ Records: [record({ key: 'k' })] })],
    ['bad percent-encoding', JSON.stringify({ Records: [record({ key: 'k%E0%A4%A', eTag: 'e' })] })],
  ])('rejects %s as BadNotificationError', (_label, body) => {
    expect(() => parseS3NotificationBody(body)).toThrow(BadNotificationError);
  });
});

describe('object identity', () => {
  const base = { bucket: 'b', key: 'k', eventName: 'ObjectCreated:Put' };
  test('versionId, then eTag, then sequencer', () => {
    expect(objectIdentity({ ...base, versionId: 'v', eTag: 'e', sequencer: 's' }).version).toBe(
      'versionId:v',
    );
    expect(objectIdentity({ ...base, eTag: 'e', sequencer: 's' }).version).toBe('eTag:e');
    expect(objectIdentity({ ...base, sequencer: 's' }).version).toBe('sequencer:s');
    expect(objectIdentityKey({ ...base, eTag: 'e' })).toBe('b/k#eTag:e');
    expect(() => objectIdentity(base)).toThrow(BadNotificationError);
  });
});

test('decodeS3Key and runIdFromKey', () => {
  expect(decodeS3Key('a+b%20c')).toBe('a b c');
  expect(runIdFromKey('units/2026/11/28/20261128T010000000Z-ab/manifest.json')).toBe(
    '20261128T010000000Z-ab',
  );
  expect(runIdFromKey('other/x.json')).toBeNull();
});
