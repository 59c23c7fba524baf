# Work queues (fed by S3 notifications) and their dead-letter queues. Brief section 4.

resource "aws_sqs_queue" "dlq" {
  for_each = local.queues

  name                      = each.value.dlq_name
  message_retention_seconds = each.value.dlq_retention
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "main" {
  for_each = local.queues

  name = each.value.name
  # At least six times the consumer's timeout: a slow attempt is not redelivered while it still runs.
  visibility_timeout_seconds = 6 * local.functions[each.key].timeout
  message_retention_seconds  = each.value.retention_seconds
  receive_wait_time_seconds  = 20
  # SSE-SQS: S3 event notifications can publish to it (an AWS-managed KMS key would refuse them).
  sqs_managed_sse_enabled = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
}

# Only the source queue may move messages into its DLQ (a separate resource avoids a cycle).
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = local.queues

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.main[each.key].arn]
  })
}

data "aws_iam_policy_document" "queue_from_bucket" {
  for_each = local.queues

  statement {
    sid    = "AllowS3NotificationsFromTheBucket"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.main[each.key].arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake[each.value.source_bucket].arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "main" {
  for_each = local.queues

  queue_url = aws_sqs_queue.main[each.key].id
  policy    = data.aws_iam_policy_document.queue_from_bucket[each.key].json
}
