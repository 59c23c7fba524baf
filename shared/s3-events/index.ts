/**
 * S3 event notifications as SQS delivers them (the body of one SQS message).
 *
 * - One message may carry several `Records` (one per created object).
 * - Keys arrive URL-encoded with `+` for spaces: `decodeURIComponent(key.replace(/\+/g, ' '))`.
 * - When a notification configuration is created, S3 sends one `s3:TestEvent` message (no
 *   `Records`): it is recognised and acknowledged without work — the only input that is.
 * - Anything else is bad input: `BadNotificationError`, so the record fails into the DLQ with a
 *   clear reason instead of being silently dropped.
 */

/** One object named by a notification. */
export interface S3ObjectRef {
  readonly bucket: string;
  /** Decoded key (never the URL-encoded form). */
  readonly key: string;
  readonly eTag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  readonly size?: number;
  readonly eventName: string;
  readonly eventTime?: string;
}

export type ParsedNotification =
  | { readonly kind: 'test-event'; readonly bucket: string | null }
  | { readonly kind: 'objects'; readonly objects: readonly S3ObjectRef[] };

/** The message body is not an S3 ObjectCreated notification (or a test event). */
export class BadNotificationError extends Error {
  override name = 'BadNotificationError';
}

/** `+` is a space in S3 event keys; the rest is percent-encoding. */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (error) {
    const shown = raw.length > 1024 ? `${raw.slice(0, 1024)}… (${raw.length} characters)` : raw;
    throw new BadNotificationError(`object key ${JSON.stringify(shown)} is not valid URL encoding`, {
      cause: error,
    });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** S3 sends ETags without quotes in events but with quotes in HeadObject; compare unquoted. */
export function normaliseETag(eTag: string | undefined): string | undefined {
  return eTag === undefined ? undefined : eTag.replace(/^"|"$/g, '');
}

function parseRecord(record: unknown, index: number): S3ObjectRef {
  const where = `Records[${index}]`;
  if (!isObject(record)) throw new BadNotificationError(`${where} is not an object`);
  const eventSource = record.eventSource;
  if (eventSource !== 'aws:s3') {
    throw new BadNotificationError(
      `${where}.eventSource is ${JSON.stringify(eventSource)}, expected "aws:s3"`,
    );
  }
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !eventName.startsWith('ObjectCreated:')) {
    throw new BadNotificationError(
      `${where}.eventName is ${JSON.stringify(eventName)}; only ObjectCreated events start work`,
    );
  }
  const s3 = record.s3;
  if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) {
    throw new BadNotificationError(`${where}.s3 has no bucket or object`);
  }
  const bucket = s3.bucket.name;
  const rawKey = s3.object.key;
  if (typeof bucket !== 'string' || bucket === '') {
    throw new BadNotificationError(`${where}.s3.bucket.name is missing`);
  }
  if (typeof rawKey !== 'string' || rawKey === '') {
    throw new BadNotificationError(`${where}.s3.object.key is missing`);
  }
  const eTag = normaliseETag(optionalString(s3.object.eTag));
  const versionId = optionalString(s3.object.versionId);
  const sequencer = optionalString(s3.object.sequencer);
  if (!eTag && !versionId && !sequencer) {
    throw new BadNotificationError(
      `${where} (${bucket}/${rawKey}) has no versionId, eTag or sequencer: the object has no identity`,
    );
  }
  const size = typeof s3.object.size === 'number' ? s3.object.size : undefined;
  const eventTime = optionalString(record.eventTime);
  return {
    bucket,
    key: decodeS3Key(rawKey),
    eventName,
    ...(eTag ? { eTag } : {}),
    ...(versionId ? { versionId } : {}),
    ...(sequencer ? { sequencer } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(eventTime ? { eventTime } : {}),
  };
}

/** Parses one SQS message body. Throws `BadNotificationError` for anything that is not a notification. */
export function parseS3NotificationBody(body: string): ParsedNotification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new BadNotificationError(`message body is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(parsed)) throw new BadNotificationError('message body is not a JSON object');
  if (parsed.Event === 's3:TestEvent') {
    return { kind: 'test-event', bucket: typeof parsed.Bucket === 'string' ? parsed.Bucket : null };
  }
  const records = parsed.Records;
  if (!Array.isArray(records)) {
    throw new BadNotificationError('message body has no Records array and is not an s3:TestEvent');
  }
  if (records.length === 0) throw new BadNotificationError('message body has an empty Records array');
  return { kind: 'objects', objects: records.map(parseRecord) };
}

/** What makes one object version unique: bucket + key + (versionId, else eTag, else sequencer). */
export interface ObjectIdentity {
  readonly bucket: string;
  readonly key: string;
  readonly version: string;
}

export function objectIdentity(ref: S3ObjectRef): ObjectIdentity {
  const version = ref.versionId
    ? `versionId:${ref.versionId}`
    : ref.eTag
      ? `eTag:${ref.eTag}`
      : ref.sequencer
        ? `sequencer:${ref.sequencer}`
        : undefined;
  if (!version)
    throw new BadNotificationError(`${ref.bucket}/${ref.key} has no versionId, eTag or sequencer`);
  return { bucket: ref.bucket, key: ref.key, version };
}

/** The identity as one string (logs, in-batch de-duplication). */
export function objectIdentityKey(ref: S3ObjectRef): string {
  const id = objectIdentity(ref);
  return `${id.bucket}/${id.key}#${id.version}`;
}
