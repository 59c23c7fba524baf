import { randomBytes } from 'node:crypto';
import { closeSync, open, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Empty temporary files created ahead of need, off the event loop (libuv's thread pool), for
 * `writeFileAtomicSync` (atomic-file.ts). Creating a file is the slow part of an atomic write:
 * 0.3–0.4 ms per `open(O_CREAT)` on the benchmark's machine, two per S3 object (body and sidecar)
 * plus one per SQS snapshot, all on the one event loop that runs the emulators and the three
 * handlers (services/tools/bench/latency-trace.ts: the loop is ~93% busy during an incremental
 * cycle, so every millisecond taken off it is a millisecond of latency). A write takes a spare
 * (already open, mode 0600) when one is ready and creates its own, as before, when none is.
 *
 * A spare is an empty file in the state folder's `tmp/`, which is cleared on every start
 * (`clearTmpDir`), like the leftovers of writes a crash interrupted. `discardSpareFiles` closes and
 * removes a folder's spares (on stop, and before the folder is cleared).
 */
const SPARES_PER_DIR = 4;

interface Spare {
  readonly file: string;
  readonly fd: number;
}

class SpareFiles {
  private readonly dir: string;
  private spares: Spare[] = [];
  private refilling = false;
  /** Bumped by `discard`: a creation that started before it is thrown away. */
  private generation = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  get ready(): number {
    return this.spares.length;
  }

  take(): Spare | undefined {
    const spare = this.spares.pop();
    this.refill();
    return spare;
  }

  discard(): void {
    this.generation++;
    for (const spare of this.spares.splice(0)) remove(spare);
  }

  private refill(): void {
    if (this.refilling || this.spares.length >= SPARES_PER_DIR) return;
    this.refilling = true;
    const generation = this.generation;
    const file = path.join(this.dir, `spare.${randomBytes(6).toString('hex')}.tmp`);
    open(file, 'wx', 0o600, (error, fd) => {
      this.refilling = false;
      // A spare is only an optimisation: on any error the writes create their own files.
      if (error) return;
      if (generation !== this.generation) {
        remove({ file, fd });
        return;
      }
      this.spares.push({ file, fd });
      this.refill();
    });
  }
}

function remove(spare: Spare): void {
  try {
    closeSync(spare.fd);
  } catch {
    // already closed: nothing to release
  }
  rmSync(spare.file, { force: true });
}

const byDir = new Map<string, SpareFiles>();

/** An empty temporary file of `dir`, open for writing, or undefined when none is ready yet. */
export function takeSpareFile(dir: string): Spare | undefined {
  let spares = byDir.get(dir);
  if (!spares) {
    spares = new SpareFiles(dir);
    byDir.set(dir, spares);
  }
  return spares.take();
}

/** How many spare files of `dir` are ready to be taken. */
export function spareFilesReady(dir: string): number {
  return byDir.get(dir)?.ready ?? 0;
}

/** Closes and removes `dir`'s spare files; creations still running are thrown away when they end. */
export function discardSpareFiles(dir: string): void {
  byDir.get(dir)?.discard();
  byDir.delete(dir);
}
