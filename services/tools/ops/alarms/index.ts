export { describeDeployedAlarms, lastDatapoint, NoDeployedAlarmsError } from './deployed.ts';
export { type AlarmSubject, evaluateAlarms, measureFreshness, observe } from './evaluate.ts';
export {
  type AlarmObservations,
  type AlarmState,
  type AlarmStateValue,
  evaluateAlarm,
  evaluateRules,
  parseUtc,
  renderAlarms,
} from './rules.ts';
export {
  ALARM_STATES_FILE,
  type AlarmChange,
  notifyChanges,
  readPreviousStates,
  stateChanges,
  WebhookError,
} from './webhook.ts';
