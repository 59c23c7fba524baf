import { attachLocalStack } from '../local-runtime/attach.ts';
import { awsDeployment, type Deployment, localDeployment } from '../ops/deployment/index.ts';
import { withAwsErrors } from './aws-errors.ts';
import {
  type AwsOptions,
  checkAwsOrStateDir,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolvePrefix,
  resolveStateDir,
  type SourceUrlOption,
  type WarehouseUrlOption,
} from './options.ts';

export type DeploymentOptions = AwsOptions & SourceUrlOption & WarehouseUrlOption;

/**
 * The deployment the options name: `--aws` (with `--prefix` / TOTES_PREFIX), else the local stack
 * of `--state-dir`, attached like `status` always did (the running runtime's, or the folder's own
 * stand-ins and databases started for the command).
 */
export async function openDeployment(options: DeploymentOptions): Promise<Deployment> {
  checkAwsOrStateDir(options);
  if (options.aws) {
    return awsDeployment({ prefix: resolvePrefix(options), warehouseUrl: optionalWarehouseUrl(options) });
  }
  return localDeployment(
    await attachLocalStack({
      stateDir: resolveStateDir(options),
      sourceUrl: optionalSourceUrl(options),
      warehouseUrl: optionalWarehouseUrl(options),
    }),
  );
}

/** Opens the deployment, runs `work` (AWS failures as one-line errors), always closes it. */
export async function withDeployment<T>(
  options: DeploymentOptions,
  work: (deployment: Deployment) => Promise<T>,
): Promise<T> {
  const deployment = await openDeployment(options);
  try {
    return await withAwsErrors(() => work(deployment));
  } finally {
    await deployment.close();
  }
}
