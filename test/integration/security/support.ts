import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A sandbox for attacks on the local stack: `<root>/state` is the state folder, and sentinel
 * files sit beside and above it (`<root>/sentinel.txt`, `<root>/neighbour/keep.txt`). `outside()`
 * lists every file and folder of the sandbox that is not under the state folder, so a test can
 * assert that an attack wrote or deleted nothing there.
 */
export interface Sandbox {
  readonly root: string;
  readonly stateDir: string;
  outside(): string[];
  remove(): void;
}

export function sandbox(label: string): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), `totes-sec-${label}-`));
  const stateDir = path.join(root, 'state');
  mkdirSync(path.join(root, 'neighbour', 'deeper'), { recursive: true });
  writeFileSync(path.join(root, 'sentinel.txt'), 'sentinel\n');
  writeFileSync(path.join(root, 'neighbour', 'keep.txt'), 'keep\n');
  writeFileSync(path.join(root, 'neighbour', 'deeper', 'keep.txt'), 'keep\n');
  const outside = () => walk(root).filter((p) => p !== 'state' && !p.startsWith(`state${path.sep}`));
  return { root, stateDir, outside, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function walk(root: string, dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    found.push(path.relative(root, full));
    if (entry.isDirectory()) found.push(...walk(root, full));
  }
  return found.sort();
}

/** Permission bits of a path (e.g. 0o600). */
export const modeOf = (file: string): number => statSync(file).mode & 0o777;
