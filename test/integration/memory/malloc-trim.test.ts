/**
 * Issue 19 item 10: `totes start` bounds what glibc's malloc keeps after it was freed.
 * - glibc Linux: the FFI binding calls the real malloc_trim(0), and freed native memory goes back
 *   to the kernel (a child frees ~90 MB of Buffers; RSS must fall by at least 40 MB);
 * - elsewhere nothing is loaded (no koffi in the process);
 * - the deployed Lambda bundles never contain it (esbuild's metafile of each handler);
 * - `totes start` run directly (not through `npm start`) runs with MALLOC_ARENA_MAX=2 in its own
 *   environment, as the same process (same pid: it replaced itself, no wrapper left).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

const RUNNER = fileURLToPath(new URL('./malloc-trim-run.ts', import.meta.url));
const TOTES_BIN = fileURLToPath(new URL('../../../services/tools/cli/bin/totes.js', import.meta.url));
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
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
    rmSync(stateRoot, { recursive: true, force: true });
  });

  test('runs with MALLOC_ARENA_MAX=2 in its own environment, as the same process', async () => {
    const stateDir = path.join(stateRoot, 'state');
    const { WAREHOUSE_URL: _w, TOTESYS_URL: _t, MALLOC_ARENA_MAX: _m, ...env } = process.env;
    child = spawn(
      process.execPath,
      [
        TOTES_BIN,
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
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exit = once(child, 'exit');
    // runtime.json is written as soon as the state folder's lock is taken, with the holder's pid.
    const runtimeFile = path.join(stateDir, 'runtime.json');
    const holderPid = async (): Promise<number> => {
      const { watch } = await import('node:fs/promises');
      const read = () => {
        try {
          return (JSON.parse(readFileSync(runtimeFile, 'utf8')) as { pid?: number }).pid;
        } catch {
          return undefined;
        }
      };
      while (!existsSync(stateDir)) {
        if (child!.exitCode !== null) throw new Error(`totes start exited: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const controller = new AbortController();
      const changed = (async () => {
        for await (const _event of watch(stateDir, { signal: controller.signal })) if (read()) return;
      })().catch(() => undefined);
      try {
        let pid = read();
        while (pid === undefined) {
          await Promise.race([changed, exit, new Promise((resolve) => setTimeout(resolve, 1000))]);
          if (child!.exitCode !== null) throw new Error(`totes start exited: ${stderr}`);
          pid = read();
        }
        return pid;
      } finally {
        controller.abort();
      }
    };
    const pid = await holderPid();
    // The process that holds the lock is the one started: it replaced itself, no wrapper.
    expect(pid).toBe(child.pid);
    if (process.platform === 'linux') {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (currentMallocPlatform().glibcVersionRuntime !== undefined)
        expect(environ).toContain('MALLOC_ARENA_MAX=2');
      else expect(environ.filter((e) => e.startsWith('MALLOC_ARENA_MAX='))).toEqual([]);
    }
    child.kill('SIGINT');
    const [code] = await exit;
    // 128 + SIGINT, as every `totes start` ends on Ctrl-C (async-exit-hook): the code of the one process.
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
