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
import { bucketNameProblem } from './bucket-name.ts';

/**
 * The S3 stand-in's files. Every object is a plain file `<stateDir>/s3/<bucket>/<key>` holding the
 * object's exact bytes (so any Parquet or JSON reader can open the lake), and its metadata sits in
 * a sidecar `<stateDir>/s3-meta/<bucket>/<sha256(key)>.json`, outside the bucket folder. Keys that
 * cannot be a path (empty, '.' or '..' segments, a trailing '/', a segment over 255 bytes, or a
 * key that is also another key's folder) live under `<stateDir>/s3-other/<bucket>/<sha256(key)>`.
 *
 * Containment: every bucket name is checked against S3's rules before it becomes a folder name,
 * and every path is resolved and checked to lie inside its root before it is written, read or
 * removed, so no name can reach a file outside the state folder (or the whole of a root).
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

/** Thrown when a path would leave its root; the message names no absolute path. */
export class PathOutsideRootError extends Error {
  override name = 'PathOutsideRootError';
}

/** `path.join(root, ...parts)`, refused unless it lies strictly inside `root`. */
export function pathInside(root: string, ...parts: string[]): string {
  const resolvedRoot = path.resolve(root);
  const target = path.resolve(resolvedRoot, ...parts);
  if (!target.startsWith(`${resolvedRoot}${path.sep}`)) {
    throw new PathOutsideRootError(`refused: a path under ${path.basename(resolvedRoot)}/ would leave it`);
  }
  return target;
}

function checkBucket(bucket: string): string {
  const problem = bucketNameProblem(bucket);
  if (problem !== undefined) throw new PathOutsideRootError(`invalid bucket name: it ${problem}`);
  return bucket;
}

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
    mkdirSync(this.bucketDir(this.dataRoot, bucket), { recursive: true, mode: 0o700 });
    mkdirSync(this.bucketDir(this.metaRoot, bucket), { recursive: true, mode: 0o700 });
  }

  removeBucket(bucket: string): void {
    for (const root of [this.dataRoot, this.metaRoot, this.otherRoot]) {
      rmSync(this.bucketDir(root, bucket), { recursive: true, force: true });
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
    const other = pathInside(this.bucketDir(this.otherRoot, bucket), hashKey(key));
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
      rmSync(this.ownFile(file), { force: true });
      this.pruneEmptyDirs(path.dirname(file), bucket);
    }
    rmSync(this.sidecarPath(bucket, key), { force: true });
  }

  /** Removes a superseded body (the same key written to a different place). */
  removeFile(bucket: string, file: string): void {
    rmSync(this.ownFile(file), { force: true });
    this.pruneEmptyDirs(path.dirname(file), bucket);
  }

  /**
   * The committed metadata of `key` read back from its sidecar (the store keeps only keys in
   * memory); undefined when there is no readable sidecar or its body is gone.
   */
  readMeta(bucket: string, key: string): StoredObjectMeta | undefined {
    const sidecar = readSidecar(this.sidecarPath(bucket, key));
    if (!sidecar || sidecar.key !== key) return undefined;
    const file = this.sidecarFile(sidecar.file);
    return file === undefined ? undefined : metaOf(sidecar, file);
  }

  load(): LoadedBucket[] {
    const names = new Set<string>();
    for (const root of [this.dataRoot, this.metaRoot]) {
      if (!existsSync(root)) continue;
      for (const entry of readdirSync(root, { withFileTypes: true })) {
        // A folder whose name S3 would refuse was not made by the stand-in: leave it alone.
        if (entry.isDirectory() && bucketNameProblem(entry.name) === undefined) names.add(entry.name);
      }
    }
    return [...names].sort().map((name) => this.loadBucket(name));
  }

  private loadBucket(bucket: string): LoadedBucket {
    this.createBucket(bucket);
    const objects: StoredObjectMeta[] = [];
    const claimed = new Set<string>();
    const metaDir = this.bucketDir(this.metaRoot, bucket);
    for (const name of readdirSync(metaDir)) {
      const sidecarFile = path.join(metaDir, name);
      const sidecar = readSidecar(sidecarFile);
      const file = sidecar ? this.sidecarFile(sidecar.file) : undefined;
      const stats = file ? statOrUndefined(file) : undefined;
      if (!sidecar || !file || !stats || !describes(sidecar, stats)) {
        // Unreadable, or its file is gone or was replaced after it: the file (if any) is adopted below.
        rmSync(sidecarFile, { force: true });
        continue;
      }
      claimed.add(file);
      objects.push(metaOf(sidecar, file));
    }
    const adopted: StoredObjectMeta[] = [];
    const bucketDir = this.bucketDir(this.dataRoot, bucket);
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
    for (const file of walkFiles(this.bucketDir(this.otherRoot, bucket))) {
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
    return usable ? pathInside(this.bucketDir(this.dataRoot, bucket), ...segments) : undefined;
  }

  private sidecarPath(bucket: string, key: string): string {
    return pathInside(this.bucketDir(this.metaRoot, bucket), `${hashKey(key)}.json`);
  }

  /** `<root>/<bucket>`, for a valid bucket name only. */
  private bucketDir(root: string, bucket: string): string {
    return pathInside(root, checkBucket(bucket));
  }

  /** A body file named by memory or a sidecar: it must lie under the data or fallback root. */
  private ownFile(file: string): string {
    const resolved = path.resolve(file);
    for (const root of [this.dataRoot, this.otherRoot]) {
      if (resolved.startsWith(`${path.resolve(root)}${path.sep}`)) return resolved;
    }
    throw new PathOutsideRootError('refused: an object file outside the S3 folders');
  }

  /** The body named by a sidecar (relative to the state folder); undefined when it would leave it. */
  private sidecarFile(relative: string): string | undefined {
    try {
      return this.ownFile(path.join(this.stateDir, relative));
    } catch {
      return undefined;
    }
  }

  private pruneEmptyDirs(dir: string, bucket: string): void {
    const stops = new Set([this.bucketDir(this.dataRoot, bucket), this.bucketDir(this.otherRoot, bucket)]);
    let current = path.resolve(dir);
    while (!stops.has(current) && current.startsWith(`${path.resolve(this.stateDir)}${path.sep}`)) {
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

function metaOf(sidecar: Sidecar, file: string): StoredObjectMeta {
  return {
    key: sidecar.key,
    file,
    size: sidecar.size,
    etag: sidecar.etag,
    contentType: sidecar.contentType,
    lastModified: new Date(sidecar.lastModified),
    metadata: sidecar.metadata,
    ...(sidecar.sequencer === undefined ? {} : { sequencer: sidecar.sequencer }),
  };
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
