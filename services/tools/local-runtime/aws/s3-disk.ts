import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from './atomic-file.ts';

/**
 * The S3 stand-in's files. Every object is a plain file `<stateDir>/s3/<bucket>/<key>` holding the
 * object's exact bytes (so any Parquet or JSON reader can open the lake), and its metadata sits in
 * a sidecar `<stateDir>/s3-meta/<bucket>/<sha256(key)>.json`, outside the bucket folder. Keys that
 * cannot be a path (empty, '.' or '..' segments, a trailing '/', a segment over 255 bytes, or a
 * key that is also another key's folder) live under `<stateDir>/s3-other/<bucket>/<sha256(key)>`.
 *
 * The sidecar is the commit point: written after the body, it names the file and records its
 * inode, size and mtime. On load, a sidecar whose file is gone is dropped; a file without a valid
 * sidecar (a crash between the two writes, or a file copied in by hand) is adopted as a new object
 * and reported, so the caller can send the notification S3 would have sent.
 */

export interface StoredObjectMeta {
  readonly key: string;
  /** Absolute path of the body. */
  readonly file: string;
  readonly size: number;
  /** With quotes, as S3 returns it in headers. */
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date;
  readonly metadata: Readonly<Record<string, string>>;
  readonly sequencer?: string;
}

export interface LoadedBucket {
  readonly name: string;
  readonly objects: readonly StoredObjectMeta[];
  /** Files found without a valid sidecar: to adopt (notify, then `writeMeta`). */
  readonly adopted: readonly StoredObjectMeta[];
}

interface Sidecar {
  readonly format: 1;
  readonly key: string;
  readonly file: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: string;
  readonly metadata: Record<string, string>;
  readonly sequencer?: string;
  readonly ino: number;
  readonly mtimeMs: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.parquet': 'application/vnd.apache.parquet',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
};

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

function isPathConflict(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENAMETOOLONG';
}

export class S3Disk {
  readonly dataRoot: string;
  private readonly metaRoot: string;
  private readonly otherRoot: string;
  private readonly tmpDir: string;
  private readonly stateDir: string;

  constructor(stateDir: string, tmpDir: string) {
    this.stateDir = stateDir;
    this.dataRoot = path.join(stateDir, 's3');
    this.metaRoot = path.join(stateDir, 's3-meta');
    this.otherRoot = path.join(stateDir, 's3-other');
    this.tmpDir = tmpDir;
  }

  createBucket(bucket: string): void {
    mkdirSync(path.join(this.dataRoot, bucket), { recursive: true });
    mkdirSync(path.join(this.metaRoot, bucket), { recursive: true });
  }

  removeBucket(bucket: string): void {
    for (const root of [this.dataRoot, this.metaRoot, this.otherRoot]) {
      rmSync(path.join(root, bucket), { recursive: true, force: true });
    }
  }

  /** Writes the body atomically and returns where it went. */
  writeBody(bucket: string, key: string, body: Uint8Array): string {
    const natural = this.naturalPath(bucket, key);
    if (natural !== undefined) {
      try {
        writeFileAtomicSync(natural, body, this.tmpDir);
        return natural;
      } catch (error) {
        if (!isPathConflict(error)) throw error;
      }
    }
    const other = path.join(this.otherRoot, bucket, hashKey(key));
    writeFileAtomicSync(other, body, this.tmpDir);
    return other;
  }

  /** Commits the object: writes its sidecar (after its body). */
  writeMeta(bucket: string, meta: StoredObjectMeta): void {
    const stats = statSync(meta.file);
    const sidecar: Sidecar = {
      format: 1,
      key: meta.key,
      file: path.relative(this.stateDir, meta.file),
      size: meta.size,
      etag: meta.etag,
      contentType: meta.contentType,
      lastModified: meta.lastModified.toISOString(),
      metadata: { ...meta.metadata },
      ...(meta.sequencer === undefined ? {} : { sequencer: meta.sequencer }),
      ino: stats.ino,
      mtimeMs: stats.mtimeMs,
    };
    writeFileAtomicSync(this.sidecarPath(bucket, meta.key), JSON.stringify(sidecar), this.tmpDir);
  }

  /** Body first, then the sidecar: a crash in between leaves a sidecar without file, dropped on load. */
  remove(bucket: string, key: string, file: string | undefined): void {
    if (file !== undefined) {
      rmSync(file, { force: true });
      this.pruneEmptyDirs(path.dirname(file), bucket);
    }
    rmSync(this.sidecarPath(bucket, key), { force: true });
  }

  /** Removes a superseded body (the same key written to a different place). */
  removeFile(bucket: string, file: string): void {
    rmSync(file, { force: true });
    this.pruneEmptyDirs(path.dirname(file), bucket);
  }

  load(): LoadedBucket[] {
    const names = new Set<string>();
    for (const root of [this.dataRoot, this.metaRoot]) {
      if (!existsSync(root)) continue;
      for (const entry of readdirSync(root, { withFileTypes: true })) {
        if (entry.isDirectory()) names.add(entry.name);
      }
    }
    return [...names].sort().map((name) => this.loadBucket(name));
  }

  private loadBucket(bucket: string): LoadedBucket {
    this.createBucket(bucket);
    const objects: StoredObjectMeta[] = [];
    const claimed = new Set<string>();
    const metaDir = path.join(this.metaRoot, bucket);
    for (const name of readdirSync(metaDir)) {
      const sidecarFile = path.join(metaDir, name);
      const sidecar = readSidecar(sidecarFile);
      const file = sidecar ? path.join(this.stateDir, sidecar.file) : undefined;
      const stats = file ? statOrUndefined(file) : undefined;
      if (!sidecar || !file || !stats || !describes(sidecar, stats)) {
        // Unreadable, or its file is gone or was replaced after it: the file (if any) is adopted below.
        rmSync(sidecarFile, { force: true });
        continue;
      }
      claimed.add(file);
      objects.push({
        key: sidecar.key,
        file,
        size: sidecar.size,
        etag: sidecar.etag,
        contentType: sidecar.contentType,
        lastModified: new Date(sidecar.lastModified),
        metadata: sidecar.metadata,
        ...(sidecar.sequencer === undefined ? {} : { sequencer: sidecar.sequencer }),
      });
    }
    const adopted: StoredObjectMeta[] = [];
    const bucketDir = path.join(this.dataRoot, bucket);
    for (const file of walkFiles(bucketDir)) {
      if (claimed.has(file)) continue;
      const key = path.relative(bucketDir, file).split(path.sep).join('/');
      const body = readFileSync(file);
      // Its sidecar is written by the caller after it has sent the notification.
      adopted.push({
        key,
        file,
        size: body.length,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        lastModified: statSync(file).mtime,
        metadata: {},
      });
    }
    // A fallback body without a sidecar cannot be mapped back to its key: it was never committed.
    for (const file of walkFiles(path.join(this.otherRoot, bucket))) {
      if (!claimed.has(file)) rmSync(file, { force: true });
    }
    return { name: bucket, objects, adopted };
  }

  private naturalPath(bucket: string, key: string): string | undefined {
    const segments = key.split('/');
    const usable = segments.every(
      (segment) =>
        segment !== '' &&
        segment !== '.' &&
        segment !== '..' &&
        !segment.includes('\0') &&
        Buffer.byteLength(segment) <= 255,
    );
    return usable ? path.join(this.dataRoot, bucket, ...segments) : undefined;
  }

  private sidecarPath(bucket: string, key: string): string {
    return path.join(this.metaRoot, bucket, `${hashKey(key)}.json`);
  }

  private pruneEmptyDirs(dir: string, bucket: string): void {
    const stops = new Set([path.join(this.dataRoot, bucket), path.join(this.otherRoot, bucket)]);
    let current = dir;
    while (!stops.has(current) && current.startsWith(this.stateDir)) {
      try {
        rmdirSync(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }
}

function readSidecar(file: string): Sidecar | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Sidecar;
    return parsed.format === 1 && typeof parsed.key === 'string' && typeof parsed.file === 'string'
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    const stats = statSync(file);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** The sidecar still describes the file: same inode, size and mtime as when it was committed. */
function describes(sidecar: Sidecar, stats: Stats): boolean {
  return stats.ino === sidecar.ino && stats.size === sidecar.size && stats.mtimeMs === sidecar.mtimeMs;
}

function* walkFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(full);
    else if (entry.isFile()) yield full;
  }
}
