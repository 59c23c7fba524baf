/**
 * Writing the lake, write-once: every PUT, and the CompleteMultipartUpload of every object above
 * the multipart threshold, carries `If-None-Match: *`, so S3 itself refuses to overwrite a key.
 *
 * S3's answers (AWS S3 user guide, "conditional writes"):
 * - 412 PreconditionFailed: the key already holds an object. It is kept as it is when it is this
 *   writer's own (`isOwn` on its metadata: an earlier attempt of the same work, e.g. a retried
 *   PUT whose first try landed, or a redelivered unit), else the write fails (`conflict`).
 * - 409 ConditionalRequestConflict: another conditional write of the key raced this one; S3 asks
 *   the writer to try again (a multipart upload from the start). The next try sees either no
 *   object (and writes) or the winner's (412, judged as above).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { LakeConflictError } from './errors.ts';
import { readMetadata } from './read.ts';

/** Single PUTs above this go through a multipart upload (the local S3 stand-in rejects one PUT over ~11 MiB). */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
const PART_BYTES = 5 * 1024 * 1024;
const CONFLICT_ATTEMPTS = 3;

export interface WriteRequest {
  readonly bucket: string;
  readonly key: string;
  readonly body: string | Uint8Array;
  readonly contentType: string;
  /** S3 user metadata (ASCII: see `metadataValue`). */
  readonly metadata: Record<string, string>;
}

export interface WriteOnceOptions {
  /** Whether the object already at the key is this writer's own (then it is kept, not an error). */
  readonly isOwn: (metadata: Record<string, string>) => boolean;
  /** The error for an object that is not ours (default: S3's refusal as it came). */
  readonly conflict?: (metadata: Record<string, string>) => Error;
  /**
   * Look (HeadObject) before writing: a store that ignores If-None-Match (the local stand-in
   * before it honours it) would otherwise overwrite. Also saves the upload of a large object
   * an earlier attempt already wrote.
   */
  readonly checkFirst?: boolean;
  readonly multipartThresholdBytes?: number;
}

export type WriteOutcome = 'written' | 'existed';

const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

/** S3 refused a conditional write because the key exists (412). */
export function isPreconditionFailed(error: unknown): boolean {
  return (error as Error | null)?.name === 'PreconditionFailed' || statusOf(error) === 412;
}

/** S3 refused a conditional write because another one of the same key raced it (409). */
export function isConditionalRequestConflict(error: unknown): boolean {
  return (error as Error | null)?.name === 'ConditionalRequestConflict' || statusOf(error) === 409;
}

/**
 * S3 user metadata travels as HTTP headers, which only carry ASCII: a value with non-ASCII
 * characters is written percent-encoded (`%` too, so the value decodes unambiguously); plain ASCII
 * stays as it is, so objects written before this encoding still compare equal.
 */
export function metadataValue(value: string): string {
  return value.replace(/[^\x20-\x7E]|%/gu, (c) => encodeURIComponent(c));
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

async function send(s3: S3Client, request: WriteRequest, multipartThresholdBytes: number): Promise<void> {
  const params = {
    Bucket: request.bucket,
    Key: request.key,
    Body: request.body,
    ContentType: request.contentType,
    Metadata: request.metadata,
    IfNoneMatch: '*',
  };
  if (byteLength(request.body) > multipartThresholdBytes) {
    // lib-storage passes the params on to CompleteMultipartUpload, so IfNoneMatch guards the
    // commit of the upload (CreateMultipartUpload and UploadPart take no condition); a refused
    // upload is aborted by lib-storage.
    await new Upload({ client: s3, params, partSize: PART_BYTES, queueSize: 2 }).done();
  } else {
    await s3.send(new PutObjectCommand(params));
  }
}

/** Writes `request.body` at its key unless the key already holds an object (see the module comment). */
export async function writeOnce(
  s3: S3Client,
  request: WriteRequest,
  options: WriteOnceOptions,
): Promise<WriteOutcome> {
  const judge = (metadata: Record<string, string>, refusal?: unknown): 'existed' => {
    if (options.isOwn(metadata)) return 'existed';
    if (options.conflict) throw options.conflict(metadata);
    throw (
      refusal ??
      new LakeConflictError(
        `s3://${request.bucket}/${request.key} already exists from another writer; the lake is never overwritten`,
      )
    );
  };
  if (options.checkFirst) {
    const existing = await readMetadata(s3, request.bucket, request.key);
    if (existing) return judge(existing);
  }
  const threshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES;
  for (let attempt = 1; ; attempt++) {
    try {
      await send(s3, request, threshold);
      return 'written';
    } catch (error) {
      if (isPreconditionFailed(error)) {
        const now = await readMetadata(s3, request.bucket, request.key);
        // Refused, yet nothing there (deleted meanwhile): fail, and the record's retry writes it.
        if (now === null) throw error;
        return judge(now, error);
      }
      if (isConditionalRequestConflict(error) && attempt < CONFLICT_ATTEMPTS) continue;
      throw error;
    }
  }
}
