import {
  messageSubject,
  queueNameFromArn,
  RateLimiter,
  sourceArnFromRedriveAllowPolicy,
} from '../../../services/tools/ops/dlq/index.ts';

const notification = (key: string, bucket = 'totes-processed') =>
  JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-28T01:00:00.000Z',
        s3: { bucket: { name: bucket }, object: { key, eTag: 'abc', sequencer: '01' } },
      },
    ],
  });

describe('DLQ message body', () => {
  it('names the object of an S3 notification, with the key decoded', () => {
    expect(messageSubject(notification('units/2026/11/28/r1/part+0001.manifest.json'))).toEqual({
      objects: [{ bucket: 'totes-processed', key: 'units/2026/11/28/r1/part 0001.manifest.json' }],
    });
  });
  it('says what is wrong with a body that is not a notification instead of throwing', () => {
    const subject = messageSubject('not json');
    expect(subject.objects).toEqual([]);
    expect(subject.note).toMatch(/not an S3 notification: message body is not JSON/);
    expect(messageSubject(JSON.stringify({ Event: 's3:TestEvent', Bucket: 'b' }))).toEqual({
      objects: [],
      note: 's3:TestEvent',
    });
  });
  it('finds the source queue in a redrive allow policy', () => {
    const arn = 'arn:aws:sqs:eu-west-2:123456789012:totes-load';
    expect(
      sourceArnFromRedriveAllowPolicy(
        JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArnList: [arn] }),
      ),
    ).toBe(arn);
    expect(sourceArnFromRedriveAllowPolicy(JSON.stringify({ redrivePermission: 'allowAll' }))).toBeNull();
    expect(sourceArnFromRedriveAllowPolicy('{')).toBeNull();
    expect(sourceArnFromRedriveAllowPolicy(undefined)).toBeNull();
    expect(queueNameFromArn(arn)).toBe('totes-load');
  });
});

describe('redrive rate limit', () => {
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      clock: {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
        },
      },
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('spaces acquisitions 1/N s apart: 4 per second -> 250 ms', async () => {
    const fake = fakeClock();
    const limiter = new RateLimiter(4, fake.clock);
    for (let i = 0; i < 5; i++) await limiter.acquire();
    expect(fake.sleeps).toEqual([250, 250, 250, 250]);
  });

  it('does not let idle time build up a burst', async () => {
    const fake = fakeClock();
    const limiter = new RateLimiter(2, fake.clock);
    await limiter.acquire();
    fake.advance(10_000);
    await limiter.acquire();
    await limiter.acquire();
    expect(fake.sleeps).toEqual([500]);
  });

  it('no rate: never waits; a non-positive rate is refused', async () => {
    const fake = fakeClock();
    const limiter = new RateLimiter(undefined, fake.clock);
    for (let i = 0; i < 100; i++) await limiter.acquire();
    expect(fake.sleeps).toEqual([]);
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});
