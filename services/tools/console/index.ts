export { type AwsConsoleOptions, openAwsTarget } from './aws-target.ts';
export { attachedFromLocalStack, openLocalTarget, stageActivityOf } from './local-target.ts';
export { SecretScrubber } from './redact.ts';
export {
  type ConsoleServerOptions,
  ConsoleSetupError,
  DEFAULT_CONSOLE_HOST,
  DEFAULT_CONSOLE_PORT,
  PortInUseError,
  type RunningConsole,
  startConsoleServer,
} from './server.ts';
export type { ConsoleTarget, DeadLetterReader, PipelineReader } from './target.ts';
