import { readFileSync } from 'node:fs';
import { S3Error, type S3Object, S3Store } from './fauxqs-internals.ts';
import { BucketMetas, OnDiskObject } from './on-disk-object.ts';
import { currentRequest, newRequestIds } from './request-context.ts';
import type { S3Disk, StoredObjectMeta } from './s3-disk.ts';
import { type ObjectCreatedEventName, type ObjectCreatedInput, SequencerClock } from './s3-event.ts';

/** An object was created; the listener runs synchronously, before the client gets its answer. */
export type ObjectCreated = Omit<ObjectCreatedInput, 'region' | 'configurationId'>;

export type ObjectCreatedListener = (event: ObjectCreated) => void;

/** What the store keeps per object: fauxqs's fields, the sequencer, and (on disk) the body's file. */
type StoredObject = S3Object & { sequencer?: string; file?: string };

/** Accessors for S3Store fields its type declarations mark private. */
interface S3StoreInternals {
  buckets: Map<string, Map<string, StoredObject>>;
  multipartUploads: Map<string, { bucket: string; key: string }>;
}

/**
 * S3's conditional write: with `If-None-Match: *`, a PutObject or CompleteMultipartUpload on a key
 * that already holds an object fails with 412 and leaves the object as it was (the lake's
 * write-once rule rests on it). The multipart upload stays open, as on S3.
 */
function refuseOverwrite(previous: StoredObject | undefined): void {
  if (previous === undefined || !currentRequest()?.ifNoneMatchAny) return;
  throw new S3Error(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    412,
    'If-None-Match',
  );
}

/**
 * fauxqs's S3 store with two additions: every created object is reported to a listener (the
 * notification bridge) in the same synchronous step, and, given an `S3Disk`, objects are plain
 * files that survive restarts. Order for a create: body file → listener (which persists the queue
 * message) → sidecar → response. A crash before the sidecar leaves a file that the next start
 * adopts and notifies again, so a created object is never left without its notification (a
 * duplicate notification is possible, as on S3).
 */
export class LocalS3Store extends S3Store {
  private readonly disk: S3Disk | undefined;
  private readonly sequencers = new SequencerClock();
  private listener: ObjectCreatedListener | undefined;
  private readonly orphans: { bucket: string; meta: StoredObjectMeta }[] = [];
  /** Per bucket, where its on-disk objects' metadata is read from (their sidecars). */
  private readonly metas = new Map<string, BucketMetas>();

  constructor(disk?: S3Disk) {
    super();
    this.disk = disk;
  }

  onObjectCreated(listener: ObjectCreatedListener): void {
    this.listener = listener;
  }

  /** Loads buckets and objects from disk. Files without metadata wait for `adoptOrphans`. */
  load(): void {
    if (!this.disk) return;
    const internals = this.internals();
    for (const bucket of this.disk.load()) {
      super.createBucket(bucket.name);
      const objects = internals.buckets.get(bucket.name)!;
      const metas = this.bucketMetas(bucket.name);
      for (const meta of bucket.objects) objects.set(meta.key, new OnDiskObject(meta.key, metas));
      for (const meta of bucket.adopted) this.orphans.push({ bucket: bucket.name, meta });
    }
  }

  /**
   * Adopts the files found without metadata (a crash between body and sidecar, or a file copied
   * in by hand) as created objects: notify first, then commit the sidecar, as for a PutObject.
   */
  adoptOrphans(): number {
    const orphans = this.orphans.splice(0);
    for (const { bucket, meta } of orphans) {
      const sequencer = this.sequencers.next(meta.sequencer);
      this.notify(bucket, meta.key, meta.size, meta.etag, sequencer, 'ObjectCreated:Put');
      const committed = { ...meta, sequencer };
      this.disk?.writeMeta(bucket, committed);
      this.internals().buckets.get(bucket)?.set(meta.key, this.onDisk(bucket, committed));
    }
    return orphans.length;
  }

  override createBucket(name: string): void {
    this.disk?.createBucket(name);
    super.createBucket(name);
  }

  override deleteBucket(name: string): void {
    super.deleteBucket(name);
    this.metas.delete(name);
    this.disk?.removeBucket(name);
  }

  override putObject(
    bucket: string,
    key: string,
    body: Buffer,
    contentType?: string,
    metadata?: Record<string, string>,
  ): S3Object {
    const previous = this.stored(bucket, key);
    refuseOverwrite(previous);
    const created = super.putObject(bucket, key, body, contentType, metadata);
    const eventName = currentRequest()?.isCopy ? 'ObjectCreated:Copy' : 'ObjectCreated:Put';
    return this.commit(bucket, created, previous, eventName);
  }

  override completeMultipartUpload(
    uploadId: string,
    partSpecs: { partNumber: number; etag: string }[],
  ): S3Object {
    const upload = this.internals().multipartUploads.get(uploadId);
    const previous = upload ? this.stored(upload.bucket, upload.key) : undefined;
    refuseOverwrite(previous);
    const created = super.completeMultipartUpload(uploadId, partSpecs);
    // super succeeded, so the upload existed.
    return this.commit(upload!.bucket, created, previous, 'ObjectCreated:CompleteMultipartUpload');
  }

  override getObject(bucket: string, key: string): S3Object {
    const stored: StoredObject = super.getObject(bucket, key);
    if (stored.file === undefined) return stored;
    // Read the body once per request (the lazy getter would read the file on every access).
    return {
      key: stored.key,
      body: readFileSync(stored.file),
      contentType: stored.contentType,
      contentLength: stored.contentLength,
      etag: stored.etag,
      lastModified: stored.lastModified,
      metadata: stored.metadata,
    };
  }

  /** Metadata only: never reads the body. */
  override headObject(bucket: string, key: string): S3Object {
    return super.getObject(bucket, key);
  }

  override deleteObject(bucket: string, key: string): void {
    const previous = this.stored(bucket, key);
    super.deleteObject(bucket, key);
    if (previous) this.disk?.remove(bucket, key, previous.file);
    this.metas.get(bucket)?.forget(key);
  }

  override emptyBucket(name: string): void {
    const objects = this.internals().buckets.get(name);
    for (const key of objects ? [...objects.keys()] : []) this.deleteObject(name, key);
    super.emptyBucket(name);
  }

  override clearObjects(): void {
    for (const name of this.internals().buckets.keys()) this.emptyBucket(name);
    super.clearObjects();
  }

  override purgeAll(): void {
    for (const name of [...this.internals().buckets.keys()]) {
      this.emptyBucket(name);
      this.disk?.removeBucket(name);
    }
    super.purgeAll();
  }

  private commit(
    bucket: string,
    created: S3Object,
    previous: StoredObject | undefined,
    eventName: ObjectCreatedEventName,
  ): S3Object {
    const objects = this.internals().buckets.get(bucket)!;
    const sequencer = this.sequencers.next(previous?.sequencer);
    // Read now: an on-disk record reads its sidecar, which the write below replaces.
    const previousFile = previous?.file;
    try {
      const file = this.disk?.writeBody(bucket, created.key, created.body);
      this.notify(bucket, created.key, created.contentLength, created.etag, sequencer, eventName);
      if (this.disk && file !== undefined) {
        const meta: StoredObjectMeta = {
          key: created.key,
          file,
          size: created.contentLength,
          etag: created.etag,
          contentType: created.contentType,
          lastModified: created.lastModified,
          metadata: created.metadata,
          sequencer,
        };
        this.disk.writeMeta(bucket, meta);
        if (previousFile !== undefined && previousFile !== file) this.disk.removeFile(bucket, previousFile);
        objects.set(created.key, this.onDisk(bucket, meta));
      } else {
        objects.set(created.key, { ...created, sequencer });
      }
      return created;
    } catch (error) {
      // Not durable (or not notified): the client gets an error, and memory shows the old state.
      if (previous) objects.set(created.key, previous);
      else objects.delete(created.key);
      this.metas.get(bucket)?.forget(created.key);
      throw error;
    }
  }

  private notify(
    bucket: string,
    key: string,
    size: number,
    etag: string,
    sequencer: string,
    eventName: ObjectCreatedEventName,
  ): void {
    if (!this.listener) return;
    const request = currentRequest();
    const ids = request ?? newRequestIds();
    this.listener({
      bucket,
      key,
      size,
      eTag: etag,
      sequencer,
      eventName,
      eventTime: new Date(),
      requestId: ids.requestId,
      hostId: ids.hostId,
      sourceIPAddress: request?.sourceIp ?? '127.0.0.1',
    });
  }

  /** The in-memory record of a committed on-disk object: its key, the rest read from its sidecar. */
  private onDisk(bucket: string, meta: StoredObjectMeta): OnDiskObject {
    const metas = this.bucketMetas(bucket);
    metas.remember(meta);
    return new OnDiskObject(meta.key, metas);
  }

  private bucketMetas(bucket: string): BucketMetas {
    let metas = this.metas.get(bucket);
    if (!metas) {
      // Only called with a disk: on-disk objects exist only then.
      metas = new BucketMetas(this.disk!, bucket);
      this.metas.set(bucket, metas);
    }
    return metas;
  }

  private stored(bucket: string, key: string): StoredObject | undefined {
    return this.internals().buckets.get(bucket)?.get(key);
  }

  private internals(): S3StoreInternals {
    return this as unknown as S3StoreInternals;
  }
}
