# The three stages, from the bundles `npm run build` writes to dist/<stage>.zip.

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "function" {
  for_each = local.functions

  function_name    = each.value.name
  description      = "totes pipeline: ${each.key} stage"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "nodejs24.x"
  handler          = "index.handler"
  architectures    = [var.lambda_architecture]
  filename         = "${local.dist_dir}/${each.key}.zip"
  source_code_hash = filebase64sha256("${local.dist_dir}/${each.key}.zip")
  timeout          = each.value.timeout
  memory_size      = each.value.memory

  reserved_concurrent_executions = each.value.reserved_concurrency

  environment {
    variables = local.function_environment[each.key]
  }

  logging_config {
    log_format = "Text" # Powertools writes JSON lines and EMF itself
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  # Only the stages that talk to a database join the VPC, and only when subnets are given.
  dynamic "vpc_config" {
    for_each = local.vpc_enabled && each.value.database_access ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_event_source_mapping" "queue" {
  for_each = local.queues

  event_source_arn                   = aws_sqs_queue.main[each.key].arn
  function_name                      = aws_lambda_function.function[each.key].arn
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.batching_window
  # Without this Lambda ignores the partial batch response and deletes the whole batch.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = each.value.maximum_concurrency
  }
}

# The schedule is the extract's retry: a failed run is not retried by Lambda, the next run five
# minutes later picks up from the same watermark; a stale queued invocation is dropped.
resource "aws_lambda_function_event_invoke_config" "extract" {
  function_name                = aws_lambda_function.function["extract"].function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = local.schedule_minutes * 60
}
