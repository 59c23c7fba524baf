output "ingestion_bucket" {
  description = "Bucket extract writes ingestion units to."
  value       = aws_s3_bucket.lake["ingestion"].bucket
}

output "processed_bucket" {
  description = "Bucket transform writes Parquet units to."
  value       = aws_s3_bucket.lake["processed"].bucket
}

output "queue_urls" {
  description = "Work queue URLs by consumer stage."
  value       = { for stage, queue in aws_sqs_queue.main : stage => queue.url }
}

output "dlq_urls" {
  description = "Dead-letter queue URLs by consumer stage, plus the schedule's."
  value       = merge({ for stage, queue in aws_sqs_queue.dlq : stage => queue.url }, { schedule = aws_sqs_queue.schedule_dlq.url })
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "idempotency_table" {
  description = "DynamoDB table of Powertools idempotency records."
  value       = aws_dynamodb_table.idempotency.name
}

output "state_table" {
  description = "DynamoDB table of watermarks, run lease, run history, heartbeats and failure records."
  value       = aws_dynamodb_table.state.name
}

output "function_names" {
  description = "Lambda function names by stage."
  value       = { for stage, fn in aws_lambda_function.function : stage => fn.function_name }
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
