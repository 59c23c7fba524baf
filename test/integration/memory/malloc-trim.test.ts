/**
 * Issue 19 item 10: `totes start` bounds what glibc's malloc keeps after it was freed.
 * - glibc Linux: the FFI binding calls the real malloc_trim(0), and freed native memory goes back
 *   to the kernel (a child frees ~90 MB of Buffers; RSS must fall by at least 40 MB);
 * - elsewhere nothing is loaded (no koffi in the process);
 * - the deployed Lambda bundles never contain it (esbuild's metafile of each handler);
 * - `totes start` run directly (not through `npm start`) runs with MALLOC_ARENA_MAX=2 in its own
 *   environment, as the same process (same pid: it replaced itself, no wrapper left).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { bundleOptions, handlerPath, STAGES } from '../../../services/tools/cli/build.ts';
import {
  currentMallocPlatform,
  hasGlibcMalloc,
  loadGlibcMalloc,
} from '../../../services/tools/local-runtime/native-memory/glibc-malloc.ts';
import { waitForRuntimeFile } from '../../support/runtime-file.ts';
import { spawnTotes, type TotesChild } from '../../support/totes-child.ts';

const RUNNER = fileURLToPath(new URL('./malloc-trim-run.ts', import.meta.url));
const MB = 1024 * 1024;
const glibc = hasGlibcMalloc(currentMallocPlatform());

async function runChild(mode: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', RUNNER, mode]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('glibc malloc through the FFI', () => {
  test('on this platform: malloc_trim(0) returns freed native memory to the kernel (glibc), or nothing loads', async () => {
    if (glibc) {
      const r = await runChild('trim');
      expect(r.inUseHeld as number).toBeGreaterThan(80 * MB);
      expect(r.freeBefore as number).toBeGreaterThan(40 * MB);
      expect(r.released).toBe(true);
      expect((r.before as number) - (r.after as number)).toBeGreaterThan(40 * MB);
      const info = loadGlibcMalloc()!.info();
      expect(info.inUse).toBeGreaterThan(0);
      expect(info.arena).toBeGreaterThanOrEqual(info.inUse);
    } else {
      expect(loadGlibcMalloc()).toBeUndefined();
    }
  });

  test('without glibc (musl, macOS) nothing is loaded: no koffi in the process', async () => {
    expect(await runChild('musl')).toEqual({ malloc: 'none', koffiLoaded: false });
  });

  test('the deployed Lambda bundles contain neither koffi nor the local runtime', async () => {
    for (const stage of STAGES) {
      const result = await build({
        ...bundleOptions(handlerPath(stage), path.join(tmpdir(), `totes-malloc-${stage}.mjs`)),
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.length).toBeGreaterThan(50);
      expect(inputs.filter((file) => /koffi|services\/tools\//.test(file))).toEqual([]);
    }
  });
});

describe('`totes start` run directly', () => {
  const stateRoot = mkdtempSync(path.join(tmpdir(), 'totes-malloc-start-'));
  let child: TotesChild | undefined;
  afterAll(async () => {
    child?.kill('SIGINT');
    await child?.exited;
    rmSync(stateRoot, { recursive: true, force: true });
  });

  test('runs with MALLOC_ARENA_MAX=2 in its own environment, as the same process', async () => {
    const stateDir = path.join(stateRoot, 'state');
    const start = spawnTotes(
      [
        'start',
        '--state-dir',
        stateDir,
        '--scale',
        '0.01',
        '--simulate-rate',
        '0',
        '--every',
        '3600',
        '--no-console',
      ],
      // Its own databases, and no MALLOC_ARENA_MAX of ours: the setting must come from the start itself.
      { env: { WAREHOUSE_URL: undefined, TOTESYS_URL: undefined, MALLOC_ARENA_MAX: undefined } },
    );
    child = start;
    // runtime.json is written as soon as the state folder's lock is taken, with the holder's pid.
    const info = await waitForRuntimeFile(
      stateDir,
      (written) => typeof written.pid === 'number',
      start.exited,
      () => `totes start exited: ${start.stderr()}`,
    );
    // The process that holds the lock is the one started: it replaced itself, no wrapper.
    expect(info.pid).toBe(start.process.pid);
    if (process.platform === 'linux') {
      const environ = readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0');
      if (currentMallocPlatform().glibcVersionRuntime !== undefined)
        expect(environ).toContain('MALLOC_ARENA_MAX=2');
      else expect(environ.filter((e) => e.startsWith('MALLOC_ARENA_MAX='))).toEqual([]);
    }
    start.kill('SIGINT');
    // 128 + SIGINT, as every `totes start` ends on Ctrl-C (async-exit-hook): the code of the one process.
    expect((await start.exited).code).toBe(130);
    expect(start.stderr()).not.toMatch(/\n\s+at /);
  });
});
