/**
 * What the console reads and acts on, behind one interface: a "target" is the local stack or an
 * AWS deployment. Pages only see these readers; where the numbers come from stays here.
 */
import type { DlqListEntry, DlqMessageView, PurgeResult, RedriveResult } from '../ops/dlq/index.ts';
import type { PipelineView } from './readers/pipeline-view.ts';
import type { WarehouseReader } from './readers/warehouse-reader.ts';

export interface PipelineReader {
  /** The whole pipeline at one moment (cached briefly: every open page polls it). */
  read(): Promise<PipelineView>;
}

export interface DeadLetterQueueView extends DlqListEntry {
  /** The first messages (peeked: they stay in the queue), joined with their failure records. */
  readonly messages: readonly DlqMessageView[];
}

export interface DeadLetterReader {
  list(): Promise<DeadLetterQueueView[]>;
  /** One DLQ's numbers without its messages; an OpsUsageError naming the known ones otherwise. */
  entry(queue: string): Promise<DlqListEntry>;
  /** Moves one message (or all when `messageId` is null) back to the DLQ's source queue. */
  redrive(queue: string, messageId: string | null): Promise<RedriveResult>;
  /** Deletes every message after writing each to a backup file (fsynced first). */
  purge(queue: string): Promise<PurgeResult>;
}

export interface ConsoleTarget {
  readonly kind: 'local' | 'aws';
  /** One line for the page header; never a URL with a password, a key or a token. */
  readonly description: string;
  readonly pipeline: PipelineReader;
  readonly deadLetters: DeadLetterReader;
  /** Null when no warehouse is reachable from here (AWS without --warehouse-url). */
  readonly warehouse: WarehouseReader | null;
  close(): Promise<void>;
}
