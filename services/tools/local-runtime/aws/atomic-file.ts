import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { discardSpareFiles, takeSpareFile } from './spare-tmp-files.ts';

/**
 * Writes `data` to `target` so that a reader (or a restart after `kill -9`) sees either the old
 * file or the complete new one, never a torn write: write a temporary file in `tmpDir` (same file
 * system as `target`), then rename it over the target. Synchronous on purpose: callers run it
 * before they answer a request, in the same step as the in-memory change.
 *
 * No fsync: the guarantee is against the process dying (`kill -9`), and a written file survives
 * its writer in the kernel's page cache; the rename is atomic either way. Power loss was never
 * covered (the folders are not fsynced), and an fsync here blocked the one event loop that runs
 * the emulators and all three handlers: 1–10 ms per write, two writes per S3 object, about a
 * fifth of the local runtime's busy time in an incremental cycle (services/tools/bench/latency-trace.ts).
 * For the same reason the temporary file is, when one is ready, a spare created ahead of need off
 * the event loop (spare-tmp-files.ts): creating a file was the slowest step left (0.3-0.4 ms).
 */
export function writeFileAtomicSync(target: string, data: Uint8Array | string, tmpDir: string): void {
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  // A file created ahead of need off the event loop (spare-tmp-files.ts), else one created now.
  const spare = takeSpareFile(tmpDir);
  let tmp: string;
  let fd: number;
  if (spare) {
    ({ file: tmp, fd } = spare);
  } else {
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    tmp = path.join(tmpDir, `${path.basename(target).slice(0, 64)}.${randomBytes(6).toString('hex')}.tmp`);
    fd = openSync(tmp, 'w', 0o600);
  }
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Removes leftovers of writes interrupted by a crash (they were never renamed into place). */
export function clearTmpDir(tmpDir: string): void {
  discardSpareFiles(tmpDir);
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
}
