/** Builders for SQS events carrying S3 notifications, the way S3 and Lambda shape them. */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

export interface NotifiedObject {
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string;
  readonly sequencer?: string;
  readonly size?: number;
}

/** S3 URL-encodes keys in events, with `+` for a space. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function s3NotificationBody(objects: readonly NotifiedObject[]): string {
  return JSON.stringify({
    Records: objects.map((o, i) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-2',
      eventTime: '2026-11-28T01:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'manifests',
        bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
        object: {
          key: encodeS3Key(o.key),
          size: o.size ?? 100,
          eTag: o.eTag,
          sequencer: o.sequencer ?? `0065${String(i).padStart(12, '0')}`,
        },
      },
    })),
  });
}

export const TEST_EVENT_BODY = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-11-28T01:00:00.000Z',
  Bucket: 'totes-ingestion',
  RequestId: 'TEST',
  HostId: 'TEST',
});

export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1764291600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1764291600000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-2:000000000000:totes-transform',
    awsRegion: 'eu-west-2',
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'totes-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-2:000000000000:function:totes-test',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/totes-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Captures what Powertools writes while `fn` runs: JSON log lines (errors and warnings go to
 * stderr) and EMF metric blobs (stdout).
 */
export async function captureStdout<T>(
  fn: () => Promise<T>,
): Promise<{ result: T | undefined; error: unknown; lines: Record<string, unknown>[] }> {
  const chunks: string[] = [];
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalErr = process.stderr.write.bind(process.stderr);
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (e) {
    error = e;
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalErr;
  }
  const lines = chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, error, lines };
}

/** Sum of one EMF metric across captured lines (optionally only with a given dimension value). */
export function metricTotal(lines: readonly Record<string, unknown>[], name: string, stage?: string): number {
  let total = 0;
  for (const line of lines) {
    if (!('_aws' in line) || !(name in line)) continue;
    if (stage !== undefined && line.stage !== stage) continue;
    const value = line[name];
    total += Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value);
  }
  return total;
}
