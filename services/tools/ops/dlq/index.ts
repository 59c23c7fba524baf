export { type BackupRecord, BackupWriter, defaultBackupFile } from './backup.ts';
export {
  type MessageSubject,
  messageSubject,
  queueNameFromArn,
  sourceArnFromRedriveAllowPolicy,
} from './body.ts';
export {
  type DlqListEntry,
  type DlqMessageView,
  listDlqs,
  renderDlqList,
  renderDlqShow,
  showDlq,
} from './inspect.ts';
export {
  type PurgeResult,
  purge,
  RedriveInterruptedError,
  type RedriveOptions,
  type RedriveResult,
  redrive,
} from './move.ts';
export { type Clock, RateLimiter } from './rate.ts';
export {
  awsTarget,
  type DlqInfo,
  localTarget,
  type OpsTarget,
  OpsUsageError,
  type PeekedMessage,
  peekByReceive,
  type QueueRef,
} from './target.ts';
