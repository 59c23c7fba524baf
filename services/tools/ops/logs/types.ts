import type { Stage } from '../../../../shared/config/resources.ts';

/** One log event of a stage, from the local log file or CloudWatch Logs. */
export interface LogEvent {
  /** ISO time of the event (its own `timestamp`, else when it was written / ingested). */
  readonly time: string;
  /** Powertools level (INFO, WARN, ERROR, ...); null for lines that are not structured logs. */
  readonly level: string | null;
  readonly stage: Stage | null;
  readonly runId: string | null;
  readonly message: string;
  /** The whole structured entry (null for a text line). */
  readonly fields: Readonly<Record<string, unknown>> | null;
}

/** Which events to show. */
export interface LogFilter {
  readonly stage?: Stage;
  /** Epoch ms: events before are left out. */
  readonly sinceMs?: number;
  readonly runId?: string;
  /** The lowest level shown (WARN shows WARN, ERROR and CRITICAL). */
  readonly level?: LogLevel;
}

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ReadLogsOptions {
  readonly filter: LogFilter;
  /** Keep reading new events until `signal` aborts. */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
  /** Delay between two looks for new events while following. */
  readonly pollMs?: number;
  readonly onEvent: (event: LogEvent) => void;
}
