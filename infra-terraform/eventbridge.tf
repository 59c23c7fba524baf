# The extract schedule, with a retry policy and a DLQ for events EventBridge could not deliver.

resource "aws_cloudwatch_event_rule" "extract_schedule" {
  name                = "${var.prefix}-extract-schedule"
  description         = "Runs the totes extract every ${local.schedule_minutes} minutes"
  schedule_expression = "rate(${local.schedule_minutes} minutes)"
}

resource "aws_sqs_queue" "schedule_dlq" {
  name                      = "${var.prefix}-schedule-dlq"
  message_retention_seconds = 14 * 24 * 3600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "schedule_dlq" {
  statement {
    sid    = "AllowEventBridgeDeadLetters"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dlq.arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.extract_schedule.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "schedule_dlq" {
  queue_url = aws_sqs_queue.schedule_dlq.id
  policy    = data.aws_iam_policy_document.schedule_dlq.json
}

resource "aws_cloudwatch_event_target" "extract" {
  rule      = aws_cloudwatch_event_rule.extract_schedule.name
  target_id = "extract"
  arn       = aws_lambda_function.function["extract"].arn

  retry_policy {
    # A scheduled event older than one period is superseded by the next one.
    maximum_event_age_in_seconds = local.schedule_minutes * 60
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.schedule_dlq.arn
  }
}

resource "aws_lambda_permission" "extract_schedule" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["extract"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.extract_schedule.arn
}
