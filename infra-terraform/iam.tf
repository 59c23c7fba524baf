# One role per function, least privilege: every statement names its resources. No wildcard
# actions anywhere; Resource "*" appears only where AWS offers no resource-level permission, with
# the reason next to it. Metrics go out as EMF log lines, so no cloudwatch:PutMetricData is needed.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${each.value.name}-role"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

# Shared by every function: write its own log group, and (only when deployed into a VPC) manage
# the network interfaces Lambda attaches.
data "aws_iam_policy_document" "function_base" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = local.vpc_enabled && each.value.database_access ? [1] : []
    content {
      sid    = "VpcNetworkInterfaces"
      effect = "Allow"
      actions = [
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ]
      # Resource "*" required: the EC2 Describe* actions support no resource-level permissions and
      # Lambda creates/deletes its ENIs before their ids exist (as in AWSLambdaVPCAccessExecutionRole).
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.secrets_kms_key_arn != "" && each.value.database_access ? [1] : []
    content {
      sid       = "DecryptDatabaseSecret"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.secrets_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "extract" {
  source_policy_documents = [data.aws_iam_policy_document.function_base["extract"].json]

  statement {
    sid       = "ReadSourceCredentials"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [data.aws_secretsmanager_secret.totesys.arn]
  }

  statement {
    sid    = "WriteIngestionUnits"
    effect = "Allow"
    # PutObject with If-None-Match (never overwrite); large parts go by multipart upload, which
    # aborts its upload on failure.
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake["ingestion"].arn}/*"]
  }

  statement {
    sid       = "WatermarksLeaseHistory"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.state.arn]
  }
}

data "aws_iam_policy_document" "transform" {
  source_policy_documents = [data.aws_iam_policy_document.function_base["transform"].json]

  statement {
    sid       = "ConsumeTransformQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.main["transform"].arn]
  }

  statement {
    sid       = "ReadIngestionUnits"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake["ingestion"].arn}/*"]
  }

  statement {
    sid    = "WriteProcessedUnits"
    effect = "Allow"
    # GetObject: a redelivered unit finds its Parquet already written (HeadObject); PutObject with
    # If-None-Match, multipart for large files.
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake["processed"].arn}/*"]
  }

  statement {
    sid       = "ListProcessedUnits"
    effect    = "Allow"
    actions   = ["s3:ListBucket"] # so HeadObject of a missing key answers 404, not 403
    resources = [aws_s3_bucket.lake["processed"].arn]
  }

  statement {
    sid       = "IdempotencyAndFailureRecords"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.idempotency.arn, aws_dynamodb_table.state.arn]
  }
}

data "aws_iam_policy_document" "load" {
  source_policy_documents = [data.aws_iam_policy_document.function_base["load"].json]

  statement {
    sid       = "ReadWarehouseCredentials"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [data.aws_secretsmanager_secret.warehouse.arn]
  }

  statement {
    sid       = "ConsumeLoadQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.main["load"].arn]
  }

  statement {
    sid       = "ReadProcessedUnits"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake["processed"].arn}/*"]
  }

  statement {
    sid       = "IdempotencyAndFailureRecords"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.idempotency.arn, aws_dynamodb_table.state.arn]
  }
}

locals {
  function_policies = {
    extract   = data.aws_iam_policy_document.extract.json
    transform = data.aws_iam_policy_document.transform.json
    load      = data.aws_iam_policy_document.load.json
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${each.value.name}-least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policies[each.key]
}
