/**
 * Reading the lake: whole objects under a size limit, and object metadata. One not-found rule for
 * every stage (NoSuchKey from GetObject, NotFound / 404 from HeadObject).
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ENV } from '../config/env.ts';
import { normaliseETag } from '../s3-events/index.ts';
import { MissingObjectError, ObjectTooLargeError } from './errors.ts';

/** S3's "no such key", however the SDK reports it (GetObject: NoSuchKey; HeadObject: NotFound, 404). */
export function isNotFound(error: unknown): boolean {
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.Code === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

export interface ReadRequest {
  readonly bucket: string;
  readonly key: string;
  /** What the object is, for messages ("processed manifest", "table object listed by …:"). */
  readonly what: string;
  /** The largest object read whole, in bytes (the invocation's memory budget). */
  readonly maxBytes: number;
}

export interface ObjectBytes {
  readonly bytes: Uint8Array;
  /** Unquoted. */
  readonly eTag?: string;
}

type Body = NonNullable<GetObjectCommandOutput['Body']>;

/**
 * GETs an object and reads its body with `read`. A missing key is a MissingObjectError; an object
 * above `maxBytes` is an ObjectTooLargeError raised from the response headers, before the body is
 * buffered.
 */
async function readWhole<T>(
  s3: S3Client,
  request: ReadRequest,
  read: (body: Body) => Promise<T>,
): Promise<{ content: T; eTag?: string }> {
  const { bucket, key, what, maxBytes } = request;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new MissingObjectError(`${what} s3://${bucket}/${key} has no body`);
    if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      (response.Body as { destroy?: () => void }).destroy?.();
      throw new ObjectTooLargeError(
        `${what} s3://${bucket}/${key} is ${response.ContentLength} bytes, above the memory budget of ${maxBytes} bytes (${ENV.maxObjectBytes}); it is not read`,
      );
    }
    const content = await read(response.Body);
    const eTag = normaliseETag(response.ETag);
    return eTag ? { content, eTag } : { content };
  } catch (error) {
    if (isNotFound(error)) {
      throw new MissingObjectError(`${what} s3://${bucket}/${key} does not exist`, { cause: error });
    }
    throw error;
  }
}

/** The object's bytes (see readWhole for the failures). */
export async function readObject(s3: S3Client, request: ReadRequest): Promise<ObjectBytes> {
  const { content, eTag } = await readWhole(s3, request, (body) => body.transformToByteArray());
  return eTag ? { bytes: content, eTag } : { bytes: content };
}

/** The object as UTF-8 text (see readWhole for the failures). */
export async function readText(s3: S3Client, request: ReadRequest): Promise<{ text: string; eTag?: string }> {
  const { content, eTag } = await readWhole(s3, request, (body) => body.transformToString('utf-8'));
  return eTag ? { text: content, eTag } : { text: content };
}

/** The object's user metadata, or null when the key does not exist. */
export async function readMetadata(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Record<string, string> | null> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata ?? {};
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}
