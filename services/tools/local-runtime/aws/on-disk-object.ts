import { readFileSync } from 'node:fs';
import type { S3Object } from './fauxqs-internals.ts';
import type { S3Disk, StoredObjectMeta } from './s3-disk.ts';

/** How many objects' metadata a bucket keeps parsed (a HEAD after a PUT, a page of a listing). */
const RECENT_METAS = 256;

/**
 * One bucket's metadata source for its on-disk objects: the sidecars on disk, with the most
 * recently used few kept parsed. Bounded whatever the size of the lake.
 */
export class BucketMetas {
  readonly bucket: string;
  private readonly disk: S3Disk;
  private readonly recent = new Map<string, StoredObjectMeta>();

  constructor(disk: S3Disk, bucket: string) {
    this.disk = disk;
    this.bucket = bucket;
  }

  meta(key: string): StoredObjectMeta {
    const cached = this.recent.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting marks it as the most recent.
      this.recent.delete(key);
      this.recent.set(key, cached);
      return cached;
    }
    const meta = this.disk.readMeta(this.bucket, key);
    // The sidecar is the object's commit record: a record without one was removed behind our back.
    if (!meta) throw new Error(`s3: the metadata of an object of bucket ${this.bucket} is missing on disk`);
    this.remember(meta);
    return meta;
  }

  /** A committed object's metadata, already known: saves reading back what was just written. */
  remember(meta: StoredObjectMeta): void {
    this.recent.delete(meta.key);
    this.recent.set(meta.key, meta);
    if (this.recent.size > RECENT_METAS) this.recent.delete(this.recent.keys().next().value!);
  }

  forget(key: string): void {
    this.recent.delete(key);
  }
}

/**
 * What the S3 stand-in keeps in memory for an object stored on disk: its key and its bucket's
 * metadata source, nothing else. fauxqs's store needs a record per key (its map finds and lists
 * objects); every other field is read from the object's sidecar when asked. The memory per object
 * is then its key and this two-field record, where a record holding the metadata cost ~1.3 KB
 * (issue 19 item 10; test/integration/memory/s3-object-heap.test.ts bounds it).
 */
export class OnDiskObject implements S3Object {
  readonly key: string;
  private readonly metas: BucketMetas;

  constructor(key: string, metas: BucketMetas) {
    this.key = key;
    this.metas = metas;
  }

  private get meta(): StoredObjectMeta {
    return this.metas.meta(this.key);
  }

  get body(): Buffer {
    return readFileSync(this.meta.file);
  }

  get contentType(): string {
    return this.meta.contentType;
  }

  get contentLength(): number {
    return this.meta.size;
  }

  get etag(): string {
    return this.meta.etag;
  }

  get lastModified(): Date {
    return this.meta.lastModified;
  }

  get metadata(): Record<string, string> {
    return { ...this.meta.metadata };
  }

  get sequencer(): string | undefined {
    return this.meta.sequencer;
  }

  get file(): string {
    return this.meta.file;
  }
}
