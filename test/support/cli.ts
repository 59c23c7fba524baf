import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real `totes` bin (package.json "bin"). */
export const TOTES_BIN = fileURLToPath(new URL('../../services/tools/cli/bin/totes.js', import.meta.url));

export interface TotesRun {
  /** Exit code; null when the process was killed (e.g. by the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TotesRunOptions {
  /** Added to this process's environment, from which TOTESYS_URL and WAREHOUSE_URL are removed. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Default two minutes: a busy machine loads the CLI's modules slowly. */
  readonly timeoutMs?: number;
}

/**
 * Runs `totes <args>` in a child process with this Node (24), the way a user does, and resolves
 * with its exit code and output (never rejects).
 */
export function runTotes(args: readonly string[], options: TotesRunOptions = {}): Promise<TotesRun> {
  const { WAREHOUSE_URL: _w, TOTESYS_URL: _t, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TOTES_BIN, ...args],
      {
        env: { ...inherited, ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
