export { awsDeployment, cloudWatchOldestAge, deployedWarehouseUrl } from './aws.ts';
export { localDeployment } from './local.ts';
export { type Deployment, WarehouseUrlError } from './types.ts';
