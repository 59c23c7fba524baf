/**
 * The Dead letters page on top of the on-call DLQ tooling (ops/dlq): `dlq list` + `dlq show`
 * for reading, `redrive` and `purge` for acting, each always with a backup file. Actions run one
 * at a time (a double click must not start two movers on the same queue).
 */
import {
  type DlqListEntry,
  defaultBackupFile,
  listDlqs,
  type OpsTarget,
  OpsUsageError,
  type PurgeResult,
  purge,
  type RedriveResult,
  redrive,
  showDlq,
} from '../../ops/dlq/index.ts';
import type { DeadLetterQueueView, DeadLetterReader } from '../target.ts';

/** Messages shown per DLQ (peeking more takes longer and a page would not show them usefully). */
export const MESSAGES_SHOWN = 50;

export class OpsDeadLetterReader implements DeadLetterReader {
  readonly #target: OpsTarget;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(target: OpsTarget) {
    this.#target = target;
  }

  async list(): Promise<DeadLetterQueueView[]> {
    const entries = await listDlqs(this.#target);
    const views: DeadLetterQueueView[] = [];
    for (const entry of entries) {
      const messages =
        entry.depth + entry.inFlight > 0
          ? await showDlq(this.#target, await this.#target.dlq(entry.queue), MESSAGES_SHOWN)
          : [];
      views.push({ ...entry, messages });
    }
    return views;
  }

  async entry(queue: string): Promise<DlqListEntry> {
    await this.#target.dlq(queue);
    const found = (await listDlqs(this.#target)).find((e) => e.queue === queue);
    if (!found) throw new OpsUsageError(`no DLQ named ${queue}`);
    return found;
  }

  #oneAtATime<T>(action: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(action, action);
    this.#busy = run.catch(() => {});
    return run;
  }

  redrive(queue: string, messageId: string | null): Promise<RedriveResult> {
    return this.#oneAtATime(async () => {
      const dlq = await this.#target.dlq(queue);
      return redrive(this.#target, dlq, {
        ...(messageId === null ? {} : { messageIds: [messageId] }),
        backupFile: defaultBackupFile(this.#target.backupDir, queue, 'redrive'),
      });
    });
  }

  purge(queue: string): Promise<PurgeResult> {
    return this.#oneAtATime(async () => {
      const dlq = await this.#target.dlq(queue);
      return purge(this.#target, dlq, {
        backupFile: defaultBackupFile(this.#target.backupDir, queue, 'purge'),
      });
    });
  }
}
