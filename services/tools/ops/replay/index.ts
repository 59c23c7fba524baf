/** `totes replay`: a new generation of the ingestion units of a window (replay.ts). */
export { nextGeneration, TooManyGenerationsError, type UnitGenerations, unitsInWindow } from './plan.ts';
export { renderReplayReport, renderUnit } from './render.ts';
export {
  findUnits,
  GENERATION_ATTEMPTS,
  type ReplayOptions,
  type ReplayReport,
  type ReplayUnitReport,
  replayUnits,
} from './replay.ts';
export {
  dayPrefixes,
  inWindow,
  parseTime,
  type ReplayWindow,
  ReplayWindowError,
  replayWindow,
  runIdTime,
} from './window.ts';
