/**
 * A writer transaction held open on purpose: `work` runs inside it, then it stays open (neither
 * committed nor rolled back) until `commit()`. For tests of rows that commit late.
 */
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';

export interface HeldTransaction<T> {
  /** What `work` returned (e.g. the stamps it wrote), available while the transaction is open. */
  readonly value: T;
  /** Lets the transaction commit and waits until it has. */
  commit(): Promise<void>;
}

export async function holdTransaction<T>(
  pool: DatabasePool,
  work: (tx: DatabaseTransactionConnection) => Promise<T>,
): Promise<HeldTransaction<T>> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let done!: (value: T) => void;
  let failed!: (error: unknown) => void;
  const worked = new Promise<T>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const transaction = pool
    .transaction(async (tx) => {
      done(await work(tx));
      await gate;
    }, 0)
    .catch((error: unknown) => {
      failed(error);
      throw error;
    });
  const value = await worked;
  return {
    value,
    commit: async () => {
      release();
      await transaction;
    },
  };
}
