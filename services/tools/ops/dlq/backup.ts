import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** One line of a backup file: enough to send the message again by hand. */
export interface BackupRecord {
  readonly queue: string;
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: Record<string, string>;
  readonly messageAttributes?: Record<string, unknown>;
  /** What was about to happen to the message: redrive (to `destination`) or purge. */
  readonly action: 'redrive' | 'purge';
  readonly destination?: string;
  readonly backedUpAt: string;
}

/**
 * Appends JSON lines and fsyncs each batch, so a line is on disk BEFORE the message is sent or
 * deleted.
 */
export class BackupWriter {
  readonly file: string;
  private fd: number | undefined;
  written = 0;

  constructor(file: string) {
    this.file = path.resolve(file);
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a', 0o600);
  }

  write(records: readonly BackupRecord[]): void {
    if (this.fd === undefined) throw new Error(`backup ${this.file} is closed`);
    if (records.length === 0) return;
    writeSync(this.fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    fsyncSync(this.fd);
    this.written += records.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** `<dir>/dlq-backups/<queue>-<action>-<UTC timestamp>.jsonl` */
export function defaultBackupFile(dir: string, queue: string, action: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(dir, 'dlq-backups', `${queue}-${action}-${stamp}.jsonl`);
}
