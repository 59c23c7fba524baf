/**
 * The JSON S3 puts on a queue for an event notification, built exactly as S3 builds it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 * Pure functions: no I/O, so the shape can be unit-checked and compared with moto_server's.
 */

export type ObjectCreatedEventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload';

/** Local stand-ins for AWS principals and hosts (the shape matters, not the values). */
export const LOCAL_PRINCIPAL_ID = 'AWS:AIDALOCALSTANDIN000';
export const LOCAL_OWNER_ID = 'LOCALOWNER000';

export interface S3EventRecord {
  readonly eventVersion: '2.1';
  readonly eventSource: 'aws:s3';
  readonly awsRegion: string;
  readonly eventTime: string;
  readonly eventName: ObjectCreatedEventName;
  readonly userIdentity: { readonly principalId: string };
  readonly requestParameters: { readonly sourceIPAddress: string };
  readonly responseElements: { readonly 'x-amz-request-id': string; readonly 'x-amz-id-2': string };
  readonly s3: {
    readonly s3SchemaVersion: '1.0';
    readonly configurationId: string;
    readonly bucket: {
      readonly name: string;
      readonly ownerIdentity: { readonly principalId: string };
      readonly arn: string;
    };
    readonly object: {
      readonly key: string;
      readonly size: number;
      readonly eTag: string;
      readonly sequencer: string;
    };
  };
}

export interface S3TestEvent {
  readonly Service: 'Amazon S3';
  readonly Event: 's3:TestEvent';
  readonly Time: string;
  readonly Bucket: string;
  readonly RequestId: string;
  readonly HostId: string;
}

const UNRESERVED = /^[A-Za-z0-9.\-*_/]$/;

/**
 * Encodes a key the way S3 writes it into an event: application/x-www-form-urlencoded rules
 * (space → '+', every other byte outside `A-Z a-z 0-9 . - * _` percent-encoded as UTF-8, upper-case
 * hex) except that '/' stays as it is. `decodeURIComponent(encoded.replace(/\+/g, ' '))` returns
 * the key. (moto_server encodes '/' as %2F and keeps '~'; AWS keeps '/'.)
 */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (byte === 0x20) out += '+';
    else if (byte < 0x80 && UNRESERVED.test(char)) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface ObjectCreatedInput {
  readonly region: string;
  readonly bucket: string;
  /** The raw (decoded) key; it is encoded here. */
  readonly key: string;
  readonly size: number;
  /** With or without the quotes S3 puts around ETags in HTTP headers. */
  readonly eTag: string;
  readonly sequencer: string;
  readonly eventName: ObjectCreatedEventName;
  readonly eventTime: Date;
  readonly configurationId: string;
  readonly requestId: string;
  readonly hostId: string;
  readonly sourceIPAddress: string;
}

export function objectCreatedRecord(input: ObjectCreatedInput): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: input.eventTime.toISOString(),
    eventName: input.eventName,
    userIdentity: { principalId: LOCAL_PRINCIPAL_ID },
    requestParameters: { sourceIPAddress: input.sourceIPAddress },
    responseElements: { 'x-amz-request-id': input.requestId, 'x-amz-id-2': input.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: input.configurationId,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: LOCAL_OWNER_ID },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: encodeS3EventKey(input.key),
        size: input.size,
        eTag: input.eTag.replace(/^"|"$/g, ''),
        sequencer: input.sequencer,
      },
    },
  };
}

/** The SQS message body S3 sends: one or more records. */
export function objectCreatedMessage(records: readonly S3EventRecord[]): string {
  return JSON.stringify({ Records: records });
}

/** What S3 sends to each destination when a notification configuration is put on a bucket. */
export function testEventMessage(input: {
  readonly bucket: string;
  readonly time: Date;
  readonly requestId: string;
  readonly hostId: string;
}): S3TestEvent {
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: input.time.toISOString(),
    Bucket: input.bucket,
    RequestId: input.requestId,
    HostId: input.hostId,
  };
}

/**
 * S3's sequencer: a hex string, larger for a later event on the same key (compared as strings of
 * equal length). Here: milliseconds × 10^6 plus a counter, 18 upper-case hex digits, strictly
 * increasing within a process and above any earlier value it is told about (e.g. one stored on
 * disk), so it keeps increasing for a key across restarts even if the clock steps back.
 */
export class SequencerClock {
  private last = 0n;

  next(atLeastAbove?: string): string {
    let value = BigInt(Date.now()) * 1_000_000n;
    if (value <= this.last) value = this.last + 1n;
    if (atLeastAbove !== undefined && /^[0-9A-Fa-f]+$/.test(atLeastAbove)) {
      const floor = BigInt(`0x${atLeastAbove}`);
      if (value <= floor) value = floor + 1n;
    }
    this.last = value;
    return value.toString(16).toUpperCase().padStart(18, '0');
  }
}
