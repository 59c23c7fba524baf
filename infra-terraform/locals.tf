# The deployment's names and settings. They mirror pipelineResources(prefix, 'aws') in
# shared/config/resources.ts, which the local stack uses; test/unit/infra/terraform.test.ts
# checks that both agree.
locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  dist_dir = var.lambda_dist_dir != "" ? var.lambda_dist_dir : "${path.module}/../dist"

  # Powertools metrics namespace: the custom metrics in shared/config/alarms.json live here.
  metrics_namespace = "TotesPipeline"

  # Only manifests start work: the data objects they list are written before them.
  manifest_suffix = "manifest.json"

  schedule_minutes = 5

  buckets = {
    ingestion = "${var.prefix}-ingestion"
    processed = "${var.prefix}-processed"
  }

  tables = {
    # Powertools idempotency records: partition key `id`, TTL attribute `expiration`.
    idempotency = "${var.prefix}-idempotency"
    # Watermarks, run lease, run history, heartbeats, failure records: keys pk + sk, TTL expires_at.
    state = "${var.prefix}-pipeline-state"
  }

  functions = {
    extract = {
      name                 = "${var.prefix}-extract"
      timeout              = 300
      memory               = 512
      reserved_concurrency = 1 # one run at a time (the run lease in DynamoDB is the second guard)
      database_access      = true
    }
    transform = {
      name                 = "${var.prefix}-transform"
      timeout              = 120
      memory               = 1024
      reserved_concurrency = -1 # unreserved; the event source mapping caps concurrency
      database_access      = false
    }
    load = {
      name                 = "${var.prefix}-load"
      timeout              = 120
      memory               = 512
      reserved_concurrency = -1 # unreserved; the event source mapping caps concurrency
      database_access      = true
    }
  }

  # One queue per consumer stage, keyed by the consumer; fed by S3 notifications from source_bucket.
  queues = {
    transform = {
      name                = "${var.prefix}-transform"
      dlq_name            = "${var.prefix}-transform-dlq"
      source_bucket       = "ingestion"
      max_receive_count   = 5
      retention_seconds   = 4 * 24 * 3600
      dlq_retention       = 14 * 24 * 3600 # longer than the source: the DLQ keeps the original enqueue time
      batch_size          = 10
      batching_window     = 5
      maximum_concurrency = 5
    }
    load = {
      name              = "${var.prefix}-load"
      dlq_name          = "${var.prefix}-load-dlq"
      source_bucket     = "processed"
      max_receive_count = 5
      retention_seconds = 4 * 24 * 3600
      dlq_retention     = 14 * 24 * 3600
      batch_size        = 10
      batching_window   = 5
      # 2 concurrent loads x a pool of 2 stays far below a small RDS instance's connection limit.
      maximum_concurrency = 2
    }
  }

  # Exactly the names in FUNCTION_ENV (shared/config/env.ts); the *_URL variables are for local runs only.
  function_environment = {
    extract = {
      INGESTION_BUCKET             = aws_s3_bucket.lake["ingestion"].bucket
      PIPELINE_STATE_TABLE         = aws_dynamodb_table.state.name
      TOTESYS_SECRET_ID            = data.aws_secretsmanager_secret.totesys.arn
      POWERTOOLS_SERVICE_NAME      = local.functions.extract.name
      POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.log_level
    }
    transform = {
      INGESTION_BUCKET             = aws_s3_bucket.lake["ingestion"].bucket
      PROCESSED_BUCKET             = aws_s3_bucket.lake["processed"].bucket
      PIPELINE_STATE_TABLE         = aws_dynamodb_table.state.name
      IDEMPOTENCY_TABLE            = aws_dynamodb_table.idempotency.name
      POWERTOOLS_SERVICE_NAME      = local.functions.transform.name
      POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.log_level
    }
    load = {
      PROCESSED_BUCKET             = aws_s3_bucket.lake["processed"].bucket
      PIPELINE_STATE_TABLE         = aws_dynamodb_table.state.name
      IDEMPOTENCY_TABLE            = aws_dynamodb_table.idempotency.name
      WAREHOUSE_SECRET_ID          = data.aws_secretsmanager_secret.warehouse.arn
      POWERTOOLS_SERVICE_NAME      = local.functions.load.name
      POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = var.log_level
    }
  }

  vpc_enabled = length(var.vpc_subnet_ids) > 0
}
