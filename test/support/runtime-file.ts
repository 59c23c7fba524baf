/**
 * Waiting on a `totes start`'s runtime.json (written once the state folder's lock is taken, then
 * rewritten as the stack's phase moves on): the folder is watched, with a one-second re-read in case
 * an event is missed, and the wait ends with an error as soon as the starts it waits on have exited.
 */
import { existsSync, readFileSync } from 'node:fs';
import { watch } from 'node:fs/promises';
import path from 'node:path';

export type RuntimeInfo = Record<string, unknown>;

function readRuntimeFile(file: string): RuntimeInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  } catch {
    // Not written yet, or caught half-written: the next change event reads it again.
    return undefined;
  }
}

/**
 * Resolves with runtime.json's content once `accept` takes it; rejects with `describeExit()` once
 * `exited` resolved (every start that could write it has ended) and it still is not accepted.
 */
export async function waitForRuntimeFile(
  stateDir: string,
  accept: (info: RuntimeInfo) => boolean,
  exited: Promise<unknown>,
  describeExit: () => string,
): Promise<RuntimeInfo> {
  const file = path.join(stateDir, 'runtime.json');
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const accepted = () => {
    const info = readRuntimeFile(file);
    return info && accept(info) ? info : undefined;
  };
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // The folder itself is created by the start: nothing to watch before it exists.
  while (!existsSync(stateDir)) {
    if (gone) throw new Error(describeExit());
    await tick(50);
  }
  const controller = new AbortController();
  const changed = (async () => {
    for await (const _event of watch(stateDir, { signal: controller.signal })) if (accepted()) return;
  })().catch(() => undefined);
  try {
    for (;;) {
      const info = accepted();
      if (info) return info;
      if (gone) throw new Error(describeExit());
      await Promise.race([changed, exited, tick(1000)]);
    }
  } finally {
    controller.abort();
  }
}
