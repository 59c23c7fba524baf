import { ENV } from '../config/env.ts';

/**
 * The CloudWatch namespace of every custom metric: the Terraform sets it as
 * POWERTOOLS_METRICS_NAMESPACE (infra-terraform/locals.tf), the alarms in shared/config/alarms.json
 * name it, and a handler started without the variable (tests, the local runtime) uses it too.
 */
export const METRICS_NAMESPACE = 'TotesPipeline';

export function metricsNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env[ENV.metricsNamespace] || METRICS_NAMESPACE;
}
