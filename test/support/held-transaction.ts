/**
 * A writer transaction held open on purpose: `work` runs inside it, then it stays open (neither
 * committed nor rolled back) until `commit()`; `within` runs more statements in it meanwhile. For
 * tests of rows that commit late.
 */
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';

export interface HeldTransaction<T> {
  /** What `work` returned (e.g. the stamps it wrote), available while the transaction is open. */
  readonly value: T;
  /** Runs `work` inside the still open transaction. */
  within<U>(work: (tx: DatabaseTransactionConnection) => Promise<U>): Promise<U>;
  /** Lets the transaction commit and waits until it has. */
  commit(): Promise<void>;
}

type Task = (tx: DatabaseTransactionConnection) => Promise<void>;

export async function holdTransaction<T>(
  pool: DatabasePool,
  work: (tx: DatabaseTransactionConnection) => Promise<T>,
): Promise<HeldTransaction<T>> {
  // Tasks for the open transaction; null lets it commit.
  const queue: Array<Task | null> = [];
  let wake: (() => void) | undefined;
  const push = (task: Task | null) => {
    queue.push(task);
    wake?.();
  };
  const next = async (): Promise<Task | null> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return queue.shift() ?? null;
  };
  let started!: (value: T) => void;
  let failed!: (error: unknown) => void;
  const worked = new Promise<T>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  const transaction = pool
    .transaction(async (tx) => {
      started(await work(tx));
      for (let task = await next(); task !== null; task = await next()) await task(tx);
    }, 0)
    .catch((error: unknown) => {
      failed(error);
      throw error;
    });
  const value = await worked;
  return {
    value,
    within: (inner) =>
      new Promise((resolve, reject) => {
        push(async (tx) => {
          try {
            resolve(await inner(tx));
          } catch (error) {
            reject(error);
            throw error;
          }
        });
      }),
    commit: async () => {
      push(null);
      await transaction;
    },
  };
}
