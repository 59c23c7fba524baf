// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform ${...} expressions, not JS templates
/**
 * The Terraform cannot be planned here (no provider downloads), so its structure is tested: every
 * .tf file is parsed (@cdktf/hcl2json), evaluated for the default variables (prefix "totes"), and
 * checked against the invariants of the architecture brief (section 4, 5) and against
 * pipelineResources('totes', 'aws') / FUNCTION_ENV, which the local stack uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alarmsFor,
  CUSTOM_METRICS,
  loadAlarmDefinitions,
  METRICS_NAMESPACE,
} from '../../../shared/config/alarms.ts';
import { FUNCTION_ENV } from '../../../shared/config/env.ts';
import { pipelineResources, type Stage } from '../../../shared/config/resources.ts';
import {
  block,
  blocks,
  Evaluator,
  type Instance,
  jsonencoded,
  loadTerraform,
  type TerraformModule,
  type Value,
} from './terraform-model.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const infraDir = path.join(repoRoot, 'infra-terraform');
const expected = pipelineResources('totes', 'aws');
const STAGES: readonly Stage[] = ['extract', 'transform', 'load'];

let tf: TerraformModule;
let ev: Evaluator;

/** What local.alarms evaluates to (its expression is pinned in the alarms tests). */
const ALARMS_LOCAL_EXPRESSION =
  '${{ for alarm in local.alarm_definitions : alarm.id => alarm if contains(alarm.environments, "aws") }}';

beforeAll(async () => {
  tf = await loadTerraform(infraDir);
  const definitions = loadAlarmDefinitions();
  ev = new Evaluator(tf, {
    alarms: Object.fromEntries(
      definitions.filter((a) => a.environments.includes('aws')).map((a) => [a.id, a]),
    ),
  });
});

const byKey = (instances: readonly Instance[]) =>
  Object.fromEntries(instances.map((instance) => [instance.key, instance]));

/** The instance a reference names, failing the test when it names none. */
function target(reference: Value): Instance {
  const instance = ev.instanceAt(reference);
  if (!instance) throw new Error(`reference ${JSON.stringify(reference)} names no declared resource`);
  return instance;
}

function lambdaFunctions(): Record<string, Instance> {
  return Object.fromEntries(
    ev.resourcesOfType('aws_lambda_function').map((fn) => [fn.attrs.function_name, fn]),
  );
}

/** Every SQS queue with the function that consumes it (through an event source mapping). */
function consumedQueues(): { queue: Instance; mapping: Instance; fn: Instance }[] {
  return ev.resourcesOfType('aws_lambda_event_source_mapping').map((mapping) => ({
    mapping,
    queue: target(mapping.attrs.event_source_arn),
    fn: target(mapping.attrs.function_name),
  }));
}

/** Every IAM statement in the module: policy document data sources and any jsonencode'd policy. */
function policyStatements(): { where: string; actions: string[]; resources: Value; notActions: Value }[] {
  const statements: { where: string; actions: string[]; resources: Value; notActions: Value }[] = [];
  for (const doc of ev.dataOfType('aws_iam_policy_document')) {
    for (const statement of blocks(doc.attrs, 'statement')) {
      statements.push({
        where: doc.address,
        actions: (statement.actions as string[] | undefined) ?? [],
        resources: statement.resources,
        notActions: statement.not_actions,
      });
    }
  }
  const visit = (value: Value, where: string) => {
    if (Array.isArray(value)) for (const v of value) visit(v, where);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, Value>;
      if ('Action' in record || 'NotAction' in record) {
        const actions = record.Action;
        statements.push({
          where,
          actions: (Array.isArray(actions) ? actions : [actions]).map(String),
          resources: record.Resource,
          notActions: record.NotAction,
        });
      }
      for (const v of Object.values(record)) visit(v, where);
    }
  };
  for (const type of Object.keys(tf.resources)) {
    for (const instance of ev.resourcesOfType(type)) visit(instance.attrs, instance.address);
  }
  return statements;
}

describe('infra-terraform parses and matches the declarative resources', () => {
  test('every .tf file parses and declares the expected resource types', () => {
    expect(Object.keys(tf.files).length).toBeGreaterThanOrEqual(8);
    for (const type of [
      'aws_s3_bucket',
      'aws_sqs_queue',
      'aws_dynamodb_table',
      'aws_lambda_function',
      'aws_lambda_event_source_mapping',
      'aws_cloudwatch_event_rule',
      'aws_cloudwatch_metric_alarm',
      'aws_sns_topic',
      'aws_cloudwatch_dashboard',
      'aws_iam_role',
    ]) {
      expect(Object.keys(tf.resources[type] ?? {}).length).toBeGreaterThan(0);
    }
  });

  test('bucket names match pipelineResources', () => {
    const buckets = byKey(ev.instancesOf('resource', 'aws_s3_bucket', 'lake'));
    expect(Object.keys(buckets).sort()).toEqual(['ingestion', 'processed']);
    expect(buckets.ingestion!.attrs.bucket).toBe(expected.buckets.ingestion);
    expect(buckets.processed!.attrs.bucket).toBe(expected.buckets.processed);
  });

  test('queue names, DLQ names and retention match pipelineResources', () => {
    for (const consumer of ['transform', 'load'] as const) {
      const want = expected.queues[consumer];
      const queue = ev.instanceAt(`aws_sqs_queue.main["${consumer}"]`)!;
      const dlq = ev.instanceAt(`aws_sqs_queue.dlq["${consumer}"]`)!;
      expect(queue.attrs.name).toBe(want.name);
      expect(dlq.attrs.name).toBe(want.dlqName);
      expect(queue.attrs.visibility_timeout_seconds).toBe(want.visibilityTimeoutSeconds);
      expect(queue.attrs.message_retention_seconds).toBe(want.messageRetentionSeconds);
      expect(dlq.attrs.message_retention_seconds).toBe(want.dlqRetentionSeconds);
      expect(jsonencoded(queue.attrs.redrive_policy).maxReceiveCount).toBe(want.maxReceiveCount);
    }
  });

  test('table names, keys and TTL attributes match pipelineResources', () => {
    const tables = ev.resourcesOfType('aws_dynamodb_table');
    const named = Object.fromEntries(tables.map((t) => [t.attrs.name, t.attrs]));
    const idempotency = named[expected.tables.idempotency.name];
    const state = named[expected.tables.state.name];
    expect(idempotency).toBeDefined();
    expect(state).toBeDefined();
    expect(idempotency!.hash_key).toBe(expected.tables.idempotency.partitionKey);
    expect(idempotency!.range_key).toBeUndefined();
    expect(block(idempotency!, 'ttl')?.attribute_name).toBe(expected.tables.idempotency.ttlAttribute);
    expect(state!.hash_key).toBe(expected.tables.state.partitionKey);
    expect(state!.range_key).toBe(expected.tables.state.sortKey);
    expect(block(state!, 'ttl')?.attribute_name).toBe(expected.tables.state.ttlAttribute);
  });

  test('function names, timeouts and memory match pipelineResources', () => {
    const functions = lambdaFunctions();
    expect(Object.keys(functions).sort()).toEqual(STAGES.map((s) => expected.functions[s].name).sort());
    for (const stage of STAGES) {
      const fn = functions[expected.functions[stage].name]!;
      expect(fn.attrs.timeout).toBe(expected.functions[stage].timeoutSeconds);
      expect(fn.attrs.memory_size).toBe(expected.functions[stage].memoryMb);
    }
  });

  test('event source mappings match pipelineResources (batch size, window, maximum concurrency)', () => {
    const mappings = consumedQueues();
    expect(mappings).toHaveLength(expected.mappings.length);
    for (const want of expected.mappings) {
      const found = mappings.find((m) => m.queue.attrs.name === want.queue);
      expect(found).toBeDefined();
      expect(found!.fn.attrs.function_name).toBe(expected.functions[want.function].name);
      expect(found!.mapping.attrs.batch_size).toBe(want.batchSize);
      expect(found!.mapping.attrs.maximum_batching_window_in_seconds).toBe(want.maximumBatchingWindowSeconds);
      expect(block(found!.mapping.attrs, 'scaling_config')?.maximum_concurrency).toBe(
        want.maximumConcurrency,
      );
    }
  });

  test('S3 notifications send only manifests, from each bucket to its queue', () => {
    const notifications = ev.resourcesOfType('aws_s3_bucket_notification');
    expect(notifications).toHaveLength(expected.notifications.length);
    for (const want of expected.notifications) {
      const found = notifications.find((n) => target(n.attrs.bucket).attrs.bucket === want.bucket);
      expect(found).toBeDefined();
      const queues = blocks(found!.attrs, 'queue');
      expect(queues).toHaveLength(1);
      expect(target(queues[0]!.queue_arn).attrs.name).toBe(want.queue);
      expect(queues[0]!.filter_suffix).toBe(want.suffix);
      expect(queues[0]!.events).toEqual(['s3:ObjectCreated:*']);
      expect(queues[0]!.filter_prefix).toBeUndefined();
    }
  });

  test('extract runs on the schedule of pipelineResources, with retry policy, DLQ and permission', () => {
    const [rule] = ev.resourcesOfType('aws_cloudwatch_event_rule');
    expect(rule!.attrs.schedule_expression).toBe(`rate(${expected.scheduleMinutes} minutes)`);
    const [eventTarget] = ev.resourcesOfType('aws_cloudwatch_event_target');
    expect(target(eventTarget!.attrs.arn).attrs.function_name).toBe(expected.functions.extract.name);
    const retry = block(eventTarget!.attrs, 'retry_policy');
    expect(retry?.maximum_retry_attempts).toEqual(expect.any(Number));
    expect(retry?.maximum_event_age_in_seconds).toEqual(expect.any(Number));
    const dlq = target(block(eventTarget!.attrs, 'dead_letter_config')?.arn);
    expect(dlq.address).toMatch(/^aws_sqs_queue\./);
    const dlqPolicy = ev
      .resourcesOfType('aws_sqs_queue_policy')
      .find((p) => target(p.attrs.queue_url).address === dlq.address);
    expect(dlqPolicy).toBeDefined();
    const [statement] = blocks(target(dlqPolicy!.attrs.policy).attrs, 'statement');
    expect(block(statement!, 'principals')?.identifiers).toEqual(['events.amazonaws.com']);
    const permission = ev
      .resourcesOfType('aws_lambda_permission')
      .find((p) => p.attrs.principal === 'events.amazonaws.com');
    expect(permission?.attrs.source_arn).toBe(`${rule!.address}.arn`);
  });
});

describe('failure handling (brief section 4)', () => {
  test('every SQS-fed event source mapping reports batch item failures', () => {
    const mappings = consumedQueues();
    expect(mappings.length).toBeGreaterThan(0);
    for (const { mapping, queue } of mappings) {
      expect(queue.address).toMatch(/^aws_sqs_queue\./);
      expect(mapping.attrs.function_response_types).toEqual(['ReportBatchItemFailures']);
    }
  });

  test('every consumer queue has a DLQ (maxReceiveCount >= 5) and visibility >= 6 x its function timeout', () => {
    for (const { queue, fn } of consumedQueues()) {
      const redrive = jsonencoded(queue.attrs.redrive_policy);
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
      const dlq = target(redrive.deadLetterTargetArn);
      expect(dlq.address).not.toBe(queue.address);
      expect(dlq.attrs.name).toMatch(/dlq/);
      expect(queue.attrs.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * (fn.attrs.timeout as number));
      expect(dlq.attrs.message_retention_seconds as number).toBeGreaterThan(
        queue.attrs.message_retention_seconds as number,
      );
    }
  });

  test('every consumer DLQ allows redrive only from its source queue', () => {
    const allowPolicies = ev.resourcesOfType('aws_sqs_queue_redrive_allow_policy');
    for (const { queue } of consumedQueues()) {
      const dlq = target(jsonencoded(queue.attrs.redrive_policy).deadLetterTargetArn);
      const policy = allowPolicies.find((p) => target(p.attrs.queue_url).address === dlq.address);
      expect(policy).toBeDefined();
      const allow = jsonencoded(policy!.attrs.redrive_allow_policy);
      expect(allow.redrivePermission).toBe('byQueue');
      expect(allow.sourceQueueArns).toEqual([`${queue.address}.arn`]);
    }
  });

  test('every queue is encrypted', () => {
    for (const queue of ev.resourcesOfType('aws_sqs_queue')) {
      const encrypted =
        queue.attrs.sqs_managed_sse_enabled === true || typeof queue.attrs.kms_master_key_id === 'string';
      expect({ queue: queue.address, encrypted }).toEqual({ queue: queue.address, encrypted: true });
    }
  });

  test('each work queue accepts messages only from S3, for its own bucket and account', () => {
    for (const { queue } of consumedQueues()) {
      const policy = ev
        .resourcesOfType('aws_sqs_queue_policy')
        .find((p) => target(p.attrs.queue_url).address === queue.address);
      const policyDoc = policy && ev.instanceAt(policy.attrs.policy);
      expect(policyDoc).toBeDefined();
      const statements = blocks(policyDoc!.attrs, 'statement');
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement!.effect).toBe('Allow');
      expect(block(statement!, 'principals')).toEqual({ type: 'Service', identifiers: ['s3.amazonaws.com'] });
      expect(statement!.actions).toEqual(['sqs:SendMessage']);
      const conditions = Object.fromEntries(
        blocks(statement!, 'condition').map((c) => [c.variable, c.values]),
      );
      const notification = ev
        .resourcesOfType('aws_s3_bucket_notification')
        .find((n) => target(blocks(n.attrs, 'queue')[0]!.queue_arn).address === queue.address);
      const bucket = target(notification!.attrs.bucket);
      expect(conditions['aws:SourceArn']).toEqual([`${bucket.address}.arn`]);
      expect(conditions['aws:SourceAccount']).toEqual([expect.stringContaining('account_id')]);
    }
  });
});

describe('alarms (brief section 5)', () => {
  const awsAlarms = () => alarmsFor('aws', 'totes', loadAlarmDefinitions());

  test('Terraform deploys exactly the aws alarms of shared/config/alarms.json', () => {
    expect(tf.locals.alarm_definitions).toBe(
      '${jsondecode(file("${path.module}/../shared/config/alarms.json"))}',
    );
    expect(tf.locals.alarms).toBe(ALARMS_LOCAL_EXPRESSION);
    expect(tf.resources.aws_cloudwatch_metric_alarm!.pipeline!.for_each).toBe('${local.alarms}');
    const alarm = tf.resources.aws_cloudwatch_metric_alarm!.pipeline!;
    expect(alarm.alarm_name).toBe('${var.prefix}-${each.key}');
    expect(String(alarm.dimensions)).toContain('replace(value, "{prefix}", var.prefix)');
    expect(awsAlarms().length).toBeGreaterThanOrEqual(10);
  });

  test('every DLQ has a depth alarm', () => {
    const dlqs = ev.resourcesOfType('aws_sqs_queue').filter((q) => /dlq/.test(String(q.attrs.name)));
    expect(dlqs.length).toBe(3);
    for (const dlq of dlqs) {
      const alarm = awsAlarms().find((a) => a.metric.dimensions.QueueName === dlq.attrs.name);
      expect(alarm).toMatchObject({
        metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible' },
        comparison: 'GreaterThanThreshold',
        threshold: 0,
      });
      expect(alarm!.name).toContain('dlq');
    }
  });

  test('every main queue has an age-of-oldest-message alarm', () => {
    for (const { queue } of consumedQueues()) {
      const alarm = awsAlarms().find(
        (a) =>
          a.metric.name === 'ApproximateAgeOfOldestMessage' &&
          a.metric.dimensions.QueueName === queue.attrs.name,
      );
      expect(alarm).toMatchObject({ comparison: 'GreaterThanThreshold' });
    }
  });

  test('every function has Errors and Throttles alarms', () => {
    for (const name of Object.keys(lambdaFunctions())) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = awsAlarms().find(
          (a) =>
            a.metric.namespace === 'AWS/Lambda' &&
            a.metric.name === metric &&
            a.metric.dimensions.FunctionName === name,
        );
        expect({ name, metric, found: alarm !== undefined }).toEqual({ name, metric, found: true });
      }
    }
  });

  test('custom-metric alarms match the namespace and service names the functions are given', () => {
    const environment = byKey(ev.instancesOf('resource', 'aws_lambda_function', 'function'));
    const envOf = (stage: string) =>
      block(environment[stage]!.attrs, 'environment')!.variables as Record<string, Value>;
    const custom = awsAlarms().filter((a) => !a.metric.namespace.startsWith('AWS/'));
    expect(custom.map((a) => a.metric.name).sort()).toEqual(
      [
        'RecordsFailed',
        'RecordsFailed',
        'RowsHeld',
        'RunsSucceeded',
        'SchemaDrift',
        'SourceUnobservable',
        'WarehouseFreshnessSeconds',
      ].sort(),
    );
    for (const alarm of custom) {
      const env = envOf(alarm.stage);
      expect(alarm.metric.namespace).toBe(env.POWERTOOLS_METRICS_NAMESPACE);
      expect(alarm.metric.namespace).toBe(METRICS_NAMESPACE);
      // Transform and load metrics carry the sqs-consumer's default `stage` dimension; extract's do not.
      const dimensions =
        alarm.stage === 'extract'
          ? { service: env.POWERTOOLS_SERVICE_NAME }
          : { service: env.POWERTOOLS_SERVICE_NAME, stage: alarm.stage };
      expect(alarm.metric.dimensions).toEqual(dimensions);
    }
    const heartbeat = custom.find((a) => a.metric.name === CUSTOM_METRICS.extractRunsSucceeded)!;
    expect(heartbeat).toMatchObject({
      comparison: 'LessThanThreshold',
      threshold: 1,
      treatMissingData: 'breaching',
    });
    expect(heartbeat.periodSeconds * heartbeat.evaluationPeriods).toBe(900);
    const freshness = custom.find((a) => a.metric.name === 'WarehouseFreshnessSeconds')!;
    expect(freshness).toMatchObject({
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 1800,
    });
  });

  test('every alarm notifies the one SNS topic (alarm and OK)', () => {
    const alarms = ev.resourcesOfType('aws_cloudwatch_metric_alarm');
    expect(alarms.length).toBe(awsAlarms().length);
    const topics = ev.resourcesOfType('aws_sns_topic');
    expect(topics).toHaveLength(1);
    for (const alarm of alarms) {
      expect(alarm.attrs.alarm_actions).toEqual([`${topics[0]!.address}.arn`]);
      expect(alarm.attrs.ok_actions).toEqual([`${topics[0]!.address}.arn`]);
    }
  });

  test('the topic has an e-mail subscription and an optional HTTPS paging subscription', () => {
    const subscriptions = Object.values(tf.resources.aws_sns_topic_subscription ?? {});
    const email = subscriptions.find((s) => s.protocol === 'email');
    const paging = subscriptions.find((s) => s.protocol === 'https');
    expect(email?.endpoint).toBe('${var.alert_email}');
    expect(paging?.endpoint).toBe('${var.paging_url}');
    expect(paging?.count).toBe('${var.paging_url == "" ? 0 : 1}');
    expect(tf.variables.paging_url?.default).toBe('');
  });

  test('the dashboard shows queue and DLQ depth, failed records, durations and freshness', () => {
    const [dashboard] = ev.resourcesOfType('aws_cloudwatch_dashboard');
    const body = JSON.stringify(dashboard!.attrs.dashboard_body);
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      'RecordsFailed',
      'Duration',
      'WarehouseFreshnessSeconds',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('storage is private, encrypted and expiring', () => {
  test('both buckets block all public access', () => {
    const blocksByBucket = ev.resourcesOfType('aws_s3_bucket_public_access_block');
    const buckets = ev.resourcesOfType('aws_s3_bucket');
    expect(blocksByBucket).toHaveLength(buckets.length);
    for (const pab of blocksByBucket) {
      expect(target(pab.attrs.bucket).address).toMatch(/^aws_s3_bucket\./);
      expect(pab.attrs).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    }
    expect(new Set(blocksByBucket.map((p) => target(p.attrs.bucket).address))).toEqual(
      new Set(buckets.map((b) => b.address)),
    );
  });

  test('both buckets have default encryption, versioning, lifecycle rules and a TLS-only policy', () => {
    const buckets = ev.resourcesOfType('aws_s3_bucket').map((b) => b.address);
    const covered = (type: string) =>
      new Set(ev.resourcesOfType(type).map((r) => target(r.attrs.bucket).address));
    for (const type of [
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_versioning',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_policy',
    ]) {
      expect({ type, buckets: covered(type) }).toEqual({ type, buckets: new Set(buckets) });
    }
    for (const sse of ev.resourcesOfType('aws_s3_bucket_server_side_encryption_configuration')) {
      const rule = block(sse.attrs, 'rule')!;
      expect(['AES256', 'aws:kms']).toContain(
        block(rule, 'apply_server_side_encryption_by_default')?.sse_algorithm,
      );
    }
    for (const versioning of ev.resourcesOfType('aws_s3_bucket_versioning')) {
      expect(block(versioning.attrs, 'versioning_configuration')?.status).toBe('Enabled');
    }
    for (const lifecycle of ev.resourcesOfType('aws_s3_bucket_lifecycle_configuration')) {
      const rules = blocks(lifecycle.attrs, 'rule');
      expect(rules.some((r) => block(r, 'abort_incomplete_multipart_upload'))).toBe(true);
      expect(rules.some((r) => block(r, 'noncurrent_version_expiration'))).toBe(true);
    }
    for (const policy of ev.resourcesOfType('aws_s3_bucket_policy')) {
      const doc = target(policy.attrs.policy);
      const deny = blocks(doc.attrs, 'statement').find((s) => s.effect === 'Deny');
      expect(blocks(deny!, 'condition')).toEqual([
        { test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] },
      ]);
      expect(deny!.resources).toEqual([
        `${target(policy.attrs.bucket).address}.arn`,
        `${target(policy.attrs.bucket).address}.arn/*`,
      ]);
      expect(deny!.actions).toEqual(
        expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:ListBucket']),
      );
    }
  });

  test('both tables are on demand with TTL enabled and point-in-time recovery', () => {
    const tables = ev.resourcesOfType('aws_dynamodb_table');
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.attrs.billing_mode).toBe('PAY_PER_REQUEST');
      expect(block(table.attrs, 'ttl')?.enabled).toBe(true);
      expect(block(table.attrs, 'point_in_time_recovery')?.enabled).toBe(true);
    }
  });
});

describe('functions', () => {
  test('every Lambda runs nodejs24.x from the npm run build zip', () => {
    const functions = ev.resourcesOfType('aws_lambda_function');
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      expect(fn.attrs.runtime).toBe('nodejs24.x');
      expect(fn.attrs.handler).toBe('index.handler');
      expect(fn.attrs.filename).toMatch(new RegExp(`/${fn.key}\\.zip$`));
    }
    const raw = tf.resources.aws_lambda_function!.function!;
    expect(raw.for_each).toBe('${local.functions}');
    expect(raw.filename).toBe('${local.dist_dir}/${each.key}.zip');
    expect(raw.source_code_hash).toBe('${filebase64sha256("${local.dist_dir}/${each.key}.zip")}');
    expect(tf.locals.dist_dir).toBe(
      '${var.lambda_dist_dir != "" ? var.lambda_dist_dir : "${path.module}/../dist"}',
    );
    expect(tf.variables.lambda_dist_dir?.default).toBe('');
  });

  test("each function's environment variable names are exactly FUNCTION_ENV", () => {
    for (const fn of ev.instancesOf('resource', 'aws_lambda_function', 'function')) {
      const variables = block(fn.attrs, 'environment')!.variables as Record<string, Value>;
      expect(Object.keys(variables).sort()).toEqual([...FUNCTION_ENV[fn.key as Stage]].sort());
      for (const [name, value] of Object.entries(variables)) {
        expect({ name, value: typeof value }).toEqual({ name, value: 'string' });
      }
    }
  });

  test('environment values point at the right buckets, tables and secrets', () => {
    const env = (stage: Stage) =>
      block(ev.instanceAt(`aws_lambda_function.function["${stage}"]`)!.attrs, 'environment')!
        .variables as Record<string, string>;
    expect(target(env('extract').INGESTION_BUCKET).attrs.bucket).toBe(expected.buckets.ingestion);
    expect(target(env('transform').PROCESSED_BUCKET).attrs.bucket).toBe(expected.buckets.processed);
    for (const stage of STAGES) {
      expect(target(env(stage).PIPELINE_STATE_TABLE).attrs.name).toBe(expected.tables.state.name);
      expect(env(stage).POWERTOOLS_SERVICE_NAME).toBe(expected.functions[stage].name);
    }
    for (const stage of ['transform', 'load'] as const) {
      expect(target(env(stage).IDEMPOTENCY_TABLE).attrs.name).toBe(expected.tables.idempotency.name);
    }
    expect(env('extract').TOTESYS_SECRET_ID).toBe('data.aws_secretsmanager_secret.totesys.arn');
    expect(env('load').WAREHOUSE_SECRET_ID).toBe('data.aws_secretsmanager_secret.warehouse.arn');
  });

  test('extract has reserved concurrency 1; every function has a log group with retention', () => {
    const functions = lambdaFunctions();
    expect(functions[expected.functions.extract.name]!.attrs.reserved_concurrent_executions).toBe(1);
    const logGroups = ev.resourcesOfType('aws_cloudwatch_log_group');
    for (const name of Object.keys(functions)) {
      const group = logGroups.find((g) => g.attrs.name === `/aws/lambda/${name}`);
      expect(group?.attrs.retention_in_days).toBe(tf.variables.log_retention_days?.default);
    }
    expect(tf.variables.log_retention_days?.default).toEqual(expect.any(Number));
    for (const fn of ev.resourcesOfType('aws_lambda_function')) {
      expect(target(block(fn.attrs, 'logging_config')?.log_group).attrs.name).toBe(
        `/aws/lambda/${fn.attrs.function_name}`,
      );
    }
  });
});

describe('IAM: least privilege', () => {
  test('no IAM action anywhere contains "*", and no NotAction', () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      expect(statement.actions.length).toBeGreaterThan(0);
      for (const action of statement.actions) {
        expect({ where: statement.where, action, wildcard: action.includes('*') }).toEqual({
          where: statement.where,
          action,
          wildcard: false,
        });
      }
      expect(statement.notActions).toBeUndefined();
    }
    // Belt and braces: no quoted "service:*" or "*" action text anywhere in the sources.
    for (const [file, text] of Object.entries(tf.files)) {
      expect({ file, match: /"[a-z0-9-]+:[A-Za-z]*\*"/.exec(text)?.[0] }).toEqual({ file, match: undefined });
      expect({ file, match: /actions\s*=\s*\[\s*"\*"/.exec(text)?.[0] }).toEqual({ file, match: undefined });
    }
  });

  test('Resource "*" only for the VPC network-interface actions, and commented', () => {
    const allowed = new Set([
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    const star = policyStatements().filter((s) => Array.isArray(s.resources) && s.resources.includes('*'));
    for (const statement of star) {
      for (const action of statement.actions) expect(allowed.has(action)).toBe(true);
    }
    const starLines =
      Object.values(tf.files)
        .join('\n')
        .match(/resources\s*=\s*\["\*"\]/g) ?? [];
    const comments =
      Object.values(tf.files)
        .join('\n')
        .match(/# Resource "\*" required/g) ?? [];
    expect(comments.length).toBe(starLines.length);
  });

  test('one role per function; its policy grants only its own queue, buckets, tables and secret', () => {
    const roles = ev.resourcesOfType('aws_iam_role');
    expect(roles.map((r) => r.attrs.name).sort()).toEqual(
      STAGES.map((s) => `${expected.functions[s].name}-role`).sort(),
    );
    for (const fn of ev.instancesOf('resource', 'aws_lambda_function', 'function')) {
      expect(fn.attrs.role).toBe(`aws_iam_role.function["${fn.key}"].arn`);
    }
    const grants = (stage: Stage) => {
      const doc = target(`data.aws_iam_policy_document.${stage}`);
      const own = blocks(doc.attrs, 'statement');
      const base = target((doc.attrs.source_policy_documents as string[])[0]);
      return [...own, ...blocks(base.attrs, 'statement')].flatMap((s) =>
        (s.actions as string[]).flatMap((action) =>
          (s.resources as string[]).map((resource) => `${action} ${resource}`),
        ),
      );
    };
    const policies = ev.instancesOf('resource', 'aws_iam_role_policy', 'function');
    expect(policies.map((p) => p.key).sort()).toEqual([...STAGES].sort());
    for (const policy of policies) {
      expect(policy.attrs.role).toBe(`aws_iam_role.function["${policy.key}"].id`);
      expect(policy.attrs.policy).toBe(`data.aws_iam_policy_document.${policy.key}.json`);
    }
    const extract = grants('extract');
    const transform = grants('transform');
    const load = grants('load');
    expect(extract).toContain('secretsmanager:GetSecretValue data.aws_secretsmanager_secret.totesys.arn');
    expect(load).toContain('secretsmanager:GetSecretValue data.aws_secretsmanager_secret.warehouse.arn');
    expect(transform.filter((g) => g.startsWith('secretsmanager:'))).toEqual([]);
    expect(extract).toContain('s3:PutObject aws_s3_bucket.lake["ingestion"].arn/*');
    expect(transform).toContain('s3:GetObject aws_s3_bucket.lake["ingestion"].arn/*');
    expect(transform).toContain('s3:PutObject aws_s3_bucket.lake["processed"].arn/*');
    expect(load).toContain('s3:GetObject aws_s3_bucket.lake["processed"].arn/*');
    expect(load.filter((g) => g.startsWith('s3:PutObject'))).toEqual([]);
    // HeadObject of a Parquet file not yet written must answer 404 (needs ListBucket), not 403.
    expect(transform).toContain('s3:ListBucket aws_s3_bucket.lake["processed"].arn');
    expect(extract.filter((g) => g.includes('lake["processed"]'))).toEqual([]);
    expect(load.filter((g) => g.includes('lake["ingestion"]'))).toEqual([]);
    for (const [stage, grantsOf] of [
      ['transform', transform],
      ['load', load],
    ] as const) {
      for (const action of [
        'ReceiveMessage',
        'DeleteMessage',
        'GetQueueAttributes',
        'ChangeMessageVisibility',
      ]) {
        expect(grantsOf).toContain(`sqs:${action} aws_sqs_queue.main["${stage}"].arn`);
      }
      expect(grantsOf.filter((g) => g.startsWith('sqs:') && !g.endsWith(`main["${stage}"].arn`))).toEqual([]);
      expect(grantsOf).toContain('dynamodb:PutItem aws_dynamodb_table.idempotency.arn');
    }
    expect(extract.filter((g) => g.startsWith('sqs:') || g.includes('idempotency'))).toEqual([]);
    for (const [stage, grantsOf] of [
      ['extract', extract],
      ['transform', transform],
      ['load', load],
    ] as const) {
      expect(grantsOf).toContain(`logs:PutLogEvents aws_cloudwatch_log_group.function["${stage}"].arn:*`);
    }
  });
});

describe('repository wiring', () => {
  test('variables have descriptions; the prefix defaults to "totes"', () => {
    for (const [name, variable] of Object.entries(tf.variables)) {
      expect({ name, description: typeof variable.description }).toEqual({ name, description: 'string' });
    }
    expect(tf.variables.prefix?.default).toBe('totes');
    for (const name of [
      'region',
      'alert_email',
      'paging_url',
      'totesys_secret_name',
      'warehouse_secret_name',
    ]) {
      expect(tf.variables[name]).toBeDefined();
    }
  });

  test('outputs name the buckets, queues, topic, tables and functions', () => {
    for (const name of [
      'ingestion_bucket',
      'processed_bucket',
      'queue_urls',
      'alarm_topic_arn',
      'idempotency_table',
      'state_table',
      'function_names',
    ]) {
      expect(tf.outputs[name]?.description).toEqual(expect.any(String));
    }
  });
});

describe('CI/CD workflows', () => {
  const read = (name: string) => readFileSync(path.join(repoRoot, '.github/workflows', name), 'utf8');
  const ci = read('ci.yml');
  const workflow = read('deploy.yml');
  const jobOf = (text: string, name: string) => {
    const start = text.indexOf(`\n  ${name}:\n`);
    expect(start).toBeGreaterThan(0);
    const next = text.slice(start + 1).search(/\n {2}[a-z-]+:\n/);
    return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
  };
  const job = (name: string) => jobOf(workflow, name);

  test('every action is pinned by a full commit SHA, its release named beside it', () => {
    for (const text of [ci, workflow]) {
      const uses = [...text.matchAll(/uses: (\S+)(.*)/g)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, action, comment] of uses) {
        expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(comment).toMatch(/# v\d+\.\d+\.\d+$/);
      }
    }
  });

  test('ci builds before testing, uploads the zips it tested, and validates the Terraform', () => {
    expect(ci).toMatch(/^name: ci$/m);
    const check = jobOf(ci, 'check');
    expect(check.indexOf('npm run build')).toBeGreaterThan(0);
    expect(check.indexOf('npm run build')).toBeLessThan(check.indexOf('run: npm test'));
    expect(check).toMatch(
      /actions\/upload-artifact@[0-9a-f]{40}.*\n\s+with:\n\s+name: lambda-bundles\n\s+path: dist\/\*\.zip/,
    );
    const terraform = jobOf(ci, 'terraform');
    expect(terraform).toContain('needs: check');
    expect(terraform).toContain('terraform init -backend=false');
    expect(terraform).toContain('terraform validate');
    expect(terraform).toContain('hashicorp/setup-terraform@');
  });

  test('plans on pull requests; applies only after ci passed on main, never on a plain push', () => {
    expect(workflow).toMatch(/\non:\n {2}pull_request:/);
    expect(workflow).toMatch(
      /\n {2}workflow_run:\n {4}workflows: \[ci\]\n {4}types: \[completed\]\n {4}branches: \[main\]/,
    );
    expect(workflow).not.toMatch(/\n {2}push:/);
    expect(workflow).not.toContain('scripts/**');
    expect(job('plan')).toContain("github.event_name == 'pull_request'");
    expect(job('plan')).toContain('terraform plan');
    expect(job('apply')).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(job('apply')).toContain("github.event.workflow_run.head_branch == 'main'");
    expect(job('apply')).toContain('terraform apply');
  });

  test('apply deploys the zips of the ci run that passed, at the commit it tested, without rebuilding', () => {
    const apply = job('apply');
    expect(apply).toContain('ref: ${{ github.event.workflow_run.head_sha }}');
    expect(apply).toMatch(
      /download-artifact@[0-9a-f]{40}.*\n\s+with:\n\s+name: lambda-bundles\n\s+path: dist\n\s+run-id: \$\{\{ github\.event\.workflow_run\.id \}\}/,
    );
    expect(apply).toContain('actions: read');
    expect(apply).not.toContain('npm run build');
    expect(apply.indexOf('download-artifact')).toBeLessThan(apply.indexOf('terraform init'));
  });

  test('every job gets AWS credentials by OIDC; the plan builds its zips before Terraform', () => {
    for (const name of ['plan', 'apply']) {
      const text = job(name);
      expect(text).toContain('id-token: write');
      expect(text).toContain('aws-actions/configure-aws-credentials@');
      expect(text).toMatch(/role-to-assume: \$\{\{ vars\.AWS_(PLAN|DEPLOY)_ROLE_ARN/);
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
    }
    const plan = job('plan');
    const build = plan.indexOf('npm ci --no-audit --no-fund && npm run build');
    expect(build).toBeGreaterThan(0);
    expect(build).toBeLessThan(plan.indexOf('terraform init'));
  });

  test('terraform.tfvars.example sets only variables the module declares', () => {
    const example = readFileSync(path.join(repoRoot, 'infra-terraform/terraform.tfvars.example'), 'utf8');
    const declared = readFileSync(path.join(repoRoot, 'infra-terraform/variables.tf'), 'utf8');
    const names = [...example.matchAll(/^(?:# )?([a-z_]+)\s*=/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['prefix', 'region', 'alert_email']));
    for (const name of names) expect(declared).toContain(`variable "${name}"`);
  });
});

const terraformOnPath = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
// Skips itself (with this reason in its name) only where the terraform binary is not installed.
const withTerraform = terraformOnPath ? test : test.skip;

withTerraform(
  `terraform fmt -check -recursive infra-terraform${terraformOnPath ? '' : ' (skipped: terraform is not on PATH)'}`,
  () => {
    expect(() =>
      execFileSync('terraform', ['fmt', '-check', '-recursive', 'infra-terraform'], {
        cwd: repoRoot,
        stdio: 'pipe',
      }),
    ).not.toThrow();
  },
);
