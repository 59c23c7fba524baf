/**
 * The glibc malloc settings `totes start` runs with. glibc reads them from the environment when
 * the process starts, so they cannot be set from inside; `npm start` sets them in package.json,
 * and `totes start` run directly (`npx totes start`, the bin) replaces itself once with them set
 * (`process.execve`: same pid, same stdio, same parent, so signals and the exit code are those of
 * the one process; it runs before anything else, so before the state folder's lock is taken).
 * A value already in the environment wins. Only on Linux with glibc.
 */
import { currentMallocPlatform, type MallocPlatform } from './glibc-malloc.ts';

/**
 * One malloc arena for the main thread and one shared by every other thread, instead of up to
 * 8 per core, each keeping its own freed memory (services/tools/bench/method.md, "Memory over time").
 */
export const START_MALLOC_SETTINGS: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The settings missing from `env` for the command `args` (argv after the script); pure. */
export function missingMallocSettings(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  platform: MallocPlatform,
): Record<string, string> | undefined {
  if (args[0] !== 'start') return undefined;
  if (platform.platform !== 'linux' || platform.glibcVersionRuntime === undefined) return undefined;
  const missing = Object.entries(START_MALLOC_SETTINGS).filter(([name]) => env[name] === undefined);
  return missing.length === 0 ? undefined : Object.fromEntries(missing);
}

/**
 * For `totes start` without the settings: replaces this process with the same command and the
 * settings added (never returns then). Anything else, or where it cannot, returns and runs as is.
 */
export function restartWithMallocSettings(argv: readonly string[] = process.argv): void {
  if (argv[2] !== 'start' || typeof process.execve !== 'function') return;
  const missing = missingMallocSettings(argv.slice(2), process.env, currentMallocPlatform());
  if (!missing) return;
  try {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...argv.slice(1)], {
      ...process.env,
      ...missing,
    });
  } catch {
    // Without the settings it still runs: the periodic malloc_trim bounds the growth on its own.
  }
}
