/** The local AWS stand-ins: fauxqs (SQS, S3), dynalite (DynamoDB) and the S3 → SQS bridge. */
export { createResources, LOCAL_ACCOUNT_ID } from './create-resources.ts';
export {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalAws,
  type LocalAwsOptions,
  startLocalAws,
  stateLayout,
} from './local-aws.ts';
export { configurationId, matches as notificationMatches } from './notification-bridge.ts';
export {
  encodeS3EventKey,
  type ObjectCreatedEventName,
  objectCreatedMessage,
  objectCreatedRecord,
  type S3EventRecord,
  type S3TestEvent,
  SequencerClock,
  testEventMessage,
} from './s3-event.ts';
export {
  type RunningLocalAws,
  readRunningLocalAws,
  StateDirInUseError,
} from './state-claim.ts';
