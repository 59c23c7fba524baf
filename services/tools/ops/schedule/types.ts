/** Where the extract schedule lives and whether it starts extracts. */
export interface ScheduleStatus {
  readonly target: 'local' | 'aws';
  /** The EventBridge rule name (AWS) or the state folder's record (local). */
  readonly name: string;
  readonly state: 'ENABLED' | 'PAUSED';
  /** The rule's schedule expression (AWS), e.g. `rate(5 minutes)`. */
  readonly expression: string | null;
  /** When the local record last changed (ISO); null on AWS and when never changed. */
  readonly changedAt: string | null;
  /** Local only: whether a runtime (`npm start`) runs on the state folder now. */
  readonly runtimeRunning: boolean | null;
}

/** Pause, resume and look at the extract schedule: one implementation per target. */
export interface ScheduleControl {
  status(): Promise<ScheduleStatus>;
  pause(): Promise<ScheduleStatus>;
  resume(): Promise<ScheduleStatus>;
}

/** The rule does not exist (wrong prefix or region): a fix on the command line. */
export class ScheduleNotFoundError extends Error {
  override name = 'ScheduleNotFoundError';
}
