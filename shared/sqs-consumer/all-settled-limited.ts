/** Runs `tasks` with at most `limit` in flight; results in input order (as Promise.allSettled). */
export function allSettledLimited<T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<PromiseSettledResult<T>[]> {
  const promises: Promise<T>[] = new Array(tasks.length);
  let next = 0;
  let running = 0;
  return new Promise((resolveAll) => {
    const settled: PromiseSettledResult<T>[] = new Array(tasks.length);
    let done = 0;
    if (tasks.length === 0) {
      resolveAll(settled);
      return;
    }
    const launch = () => {
      while (running < limit && next < tasks.length) {
        const index = next++;
        running++;
        promises[index] = Promise.resolve().then(tasks[index]!);
        promises[index]
          .then(
            (value) => {
              settled[index] = { status: 'fulfilled', value };
            },
            (reason: unknown) => {
              settled[index] = { status: 'rejected', reason };
            },
          )
          .finally(() => {
            running--;
            done++;
            if (done === tasks.length) resolveAll(settled);
            else launch();
          });
      }
    };
    launch();
  });
}
