import cliProgress from 'cli-progress';

/**
 * How a rebuild shows its progress on stderr: a bar (cli-progress) on a terminal; elsewhere (a
 * pipe, a CI log, `--json`) a plain line now and then, which a log keeps readable.
 */
export interface RebuildProgress {
  /** One manifest handled; `total` may grow while the pipeline keeps writing the lake. */
  update(done: number, total: number, counts: ProgressCounts): void;
  stop(): void;
}

export interface ProgressCounts {
  readonly applied: number;
  readonly alreadyApplied: number;
  readonly failed: number;
}

export interface ProgressOptions {
  /** Plain lines even on a terminal (`--json`). */
  readonly plain?: boolean;
  /** Least time between two plain lines (the last unit always gets one). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

function describe(counts: ProgressCounts): string {
  return `${counts.applied} applied, ${counts.alreadyApplied} already applied${counts.failed ? `, ${counts.failed} failed` : ''}`;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  options: ProgressOptions = {},
): RebuildProgress {
  if (stream.isTTY && !options.plain) return barProgress(stream);
  return lineProgress(stream, options.intervalMs ?? 5_000, options.now ?? Date.now);
}

function barProgress(stream: NodeJS.WritableStream): RebuildProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format:
        'rebuild [{bar}] {value}/{total} units | {percentage}% | {duration_formatted} | ETA {eta_formatted} | {counts}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, counts) {
      if (!started) {
        bar.start(total, done, { counts: describe(counts) });
        started = true;
        return;
      }
      if (total !== bar.getTotal()) bar.setTotal(total);
      bar.update(done, { counts: describe(counts) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WritableStream, intervalMs: number, now: () => number): RebuildProgress {
  let last: number | undefined;
  return {
    update(done, total, counts) {
      const at = now();
      if (last !== undefined && at - last < intervalMs && done < total) return;
      last = at;
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      stream.write(`rebuild: ${done}/${total} units (${percent}%), ${describe(counts)}\n`);
    },
    stop() {},
  };
}
