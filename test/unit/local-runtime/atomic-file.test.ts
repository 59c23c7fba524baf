import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { clearTmpDir, writeFileAtomicSync } from '../../../services/tools/local-runtime/aws/atomic-file.ts';
import {
  discardSpareFiles,
  spareFilesReady,
  takeSpareFile,
} from '../../../services/tools/local-runtime/aws/spare-tmp-files.ts';

let root: string;
let tmp: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'atomic-file-'));
  tmp = path.join(root, 'tmp');
  clearTmpDir(tmp);
});

afterEach(() => {
  discardSpareFiles(tmp);
  rmSync(root, { recursive: true, force: true });
});

const spares = () => readdirSync(tmp).filter((f) => f.startsWith('spare.'));

/** Waits (turn by turn of the event loop, for the thread pool's callbacks) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 100_000) throw new Error('condition never held');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('writeFileAtomicSync with spare temporary files', () => {
  test('the first write creates its own file; later writes take spares made off the event loop', async () => {
    const target = (n: number) => path.join(root, 'data', `object-${n}.json`);
    writeFileAtomicSync(target(1), 'first', tmp);
    expect(readFileSync(target(1), 'utf8')).toBe('first');
    await until(() => spareFilesReady(tmp) === 4);
    for (let n = 2; n <= 6; n++) writeFileAtomicSync(target(n), Buffer.from(`body ${n}`), tmp);
    for (let n = 2; n <= 6; n++) {
      expect(readFileSync(target(n), 'utf8')).toBe(`body ${n}`);
      expect(statSync(target(n)).mode & 0o777).toBe(0o600);
    }
    // Nothing but spares is left behind in tmp/, and they are replenished.
    await until(() => spareFilesReady(tmp) === 4);
    expect(spares()).toHaveLength(4);
    expect(readdirSync(tmp)).toEqual(spares());
  });

  test('a spare is an empty private file, open for writing', async () => {
    expect(takeSpareFile(tmp)).toBeUndefined();
    await until(() => spareFilesReady(tmp) > 0);
    const spare = takeSpareFile(tmp)!;
    expect(spare).toBeDefined();
    expect(statSync(spare.file).size).toBe(0);
    expect(statSync(spare.file).mode & 0o777).toBe(0o600);
    // A spare taken and never used is the caller's; here, give it back to the file system.
    writeFileAtomicSync(path.join(root, 'x'), 'x', tmp); // still works around it
    rmSync(spare.file);
  });

  test('discarding closes and removes the spares, and clearing the folder leaves it empty', async () => {
    writeFileAtomicSync(path.join(root, 'a'), 'a', tmp);
    await until(() => spareFilesReady(tmp) === 4);
    discardSpareFiles(tmp);
    expect(spareFilesReady(tmp)).toBe(0);
    expect(spares()).toEqual([]);
    writeFileAtomicSync(path.join(root, 'b'), 'b', tmp);
    clearTmpDir(tmp); // discards the spares being made, then empties the folder
    expect(readdirSync(tmp)).toEqual([]);
    expect(readFileSync(path.join(root, 'b'), 'utf8')).toBe('b');
  });
});
