import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';

/**
 * Files and folders of a state folder are private to their owner: files 0600, folders 0700.
 * `writeFileSync`'s `mode` applies only when it creates the file, so the mode is also set on an
 * existing file (an older version wrote them 0644). Nothing here ever widens a mode.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export function writePrivateFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Creates the folder (and its missing parents) 0700. An existing folder is tightened to 0700
 * unless `keep` allows more (e.g. 0o711 so the PostgreSQL system user can pass through).
 */
export function ensurePrivateDir(dir: string, keep = 0): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = statSync(dir).mode & 0o777;
  const wanted = PRIVATE_DIR_MODE | (mode & keep);
  if (mode !== wanted) chmodSync(dir, wanted);
}
