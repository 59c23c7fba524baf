import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * Where the query command finds lake objects as local files: the local stack keeps every object as
 * a plain file, so they are read in place; on AWS each object is downloaded once into a private
 * cache (lake keys are immutable, so a cached object never goes stale).
 */
export interface LakeFiles {
  /** Keys under `prefix` in `bucket`, in no particular order. */
  listKeys(bucket: string, prefix: string): AsyncIterable<string>;
  /** A local path holding the object's bytes. */
  localPath(bucket: string, key: string): Promise<string>;
}

/** A key as a relative path that stays inside its bucket folder (lake keys never hold `..`). */
function safeRelative(key: string): string {
  const parts = key.split('/');
  if (key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`not a lake key: ${JSON.stringify(key.slice(0, 200))}`);
  }
  return path.join(...parts);
}

async function* walk(dir: string, relative: string): AsyncIterable<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(path.join(dir, entry.name), rel);
    else if (entry.isFile()) yield rel;
  }
}

/** The local stack's S3 folder: `<stateDir>/aws/s3/<bucket>/<key>`. */
export function localLakeFiles(s3Root: string): LakeFiles {
  return {
    async *listKeys(bucket, prefix) {
      const base = path.join(s3Root, safeRelative(bucket));
      for await (const key of walk(
        path.join(base, safeRelative(prefix.replace(/\/$/, ''))),
        prefix.replace(/\/$/, ''),
      )) {
        yield key;
      }
    },
    async localPath(bucket, key) {
      return path.join(s3Root, safeRelative(bucket), safeRelative(key));
    },
  };
}

/** A deployment's buckets through the S3 API, objects cached under `cacheDir` (0700 folders). */
export function awsLakeFiles(s3: S3Client, cacheDir: string): LakeFiles {
  return {
    async *listKeys(bucket, prefix) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async localPath(bucket, key) {
      const file = path.join(cacheDir, safeRelative(bucket), safeRelative(key));
      try {
        await stat(file);
        return file;
      } catch {
        // not cached yet
      }
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw new Error(`s3://${bucket}/${key}: empty response`);
      // Written aside and renamed, so an interrupted download never leaves a truncated object.
      const partial = `${file}.${process.pid}.partial`;
      await pipeline(response.Body as NodeJS.ReadableStream, createWriteStream(partial, { mode: 0o600 }));
      await chmod(partial, 0o600);
      await rename(partial, file);
      return file;
    },
  };
}
