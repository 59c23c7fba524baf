# Alarms are defined once, in shared/config/alarms.json: this file deploys them to CloudWatch and
# `totes alarms` (shared/config/alarms.ts) evaluates the same definitions against the local stack.
# Dimension values carry a "{prefix}" placeholder for the deployment prefix.

locals {
  alarm_definitions = jsondecode(file("${path.module}/../shared/config/alarms.json"))
  alarms            = { for alarm in local.alarm_definitions : alarm.id => alarm if contains(alarm.environments, "aws") }
}

# One topic for every alarm. Not KMS-encrypted on purpose: CloudWatch cannot publish to a topic
# encrypted with the AWS-managed SNS key, and alarm payloads carry no data from the lake.
resource "aws_sns_topic" "alarms" {
  name = "${var.prefix}-alarms"
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_sns_topic_subscription" "paging" {
  count = var.paging_url == "" ? 0 : 1

  topic_arn              = aws_sns_topic.alarms.arn
  protocol               = "https"
  endpoint               = var.paging_url
  endpoint_auto_confirms = true
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each = local.alarms

  alarm_name          = "${var.prefix}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${each.value.runbook}"
  namespace           = each.value.metric.namespace
  metric_name         = each.value.metric.name
  dimensions          = { for name, value in each.value.metric.dimensions : name => replace(value, "{prefix}", var.prefix) }
  statistic           = each.value.statistic
  period              = each.value.periodSeconds
  evaluation_periods  = each.value.evaluationPeriods
  datapoints_to_alarm = each.value.datapointsToAlarm
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.treatMissingData

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]
}

locals {
  dashboard_region = data.aws_region.current.region
  stage_names      = keys(local.functions)
  queue_names      = [for key, queue in local.queues : queue.name]
  dlq_names        = concat([for key, queue in local.queues : queue.dlq_name], [aws_sqs_queue.schedule_dlq.name])
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${var.prefix}-pipeline"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "Queue depth (visible messages)"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = [
            for name in local.queue_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Dead-letter queue depth"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = [
            for name in local.dlq_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Age of oldest message (s)"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = [
            for name in local.queue_names : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name]
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Records failed (per-record partial batch failures)"
          region = local.dashboard_region
          stat   = "Sum"
          period = 300
          metrics = [
            for stage in ["transform", "load"] : [local.metrics_namespace, "RecordsFailed", "service", local.functions[stage].name, "stage", stage]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Duration p95 (ms)"
          region = local.dashboard_region
          stat   = "p95"
          period = 300
          metrics = [
            for stage in local.stage_names : ["AWS/Lambda", "Duration", "FunctionName", local.functions[stage].name]
          ]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Errors and throttles"
          region = local.dashboard_region
          stat   = "Sum"
          period = 300
          metrics = concat(
            [for stage in local.stage_names : ["AWS/Lambda", "Errors", "FunctionName", local.functions[stage].name]],
            [for stage in local.stage_names : ["AWS/Lambda", "Throttles", "FunctionName", local.functions[stage].name]],
          )
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title  = "Warehouse freshness (s, promise: 1800)"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = [
            [local.metrics_namespace, "WarehouseFreshnessSeconds", "service", local.functions.load.name, "stage", "load"],
          ]
          annotations = { horizontal = [{ label = "30 minutes", value = 1800 }] }
        }
      },
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title  = "Successful extract runs"
          region = local.dashboard_region
          stat   = "Sum"
          period = 900
          metrics = [
            [local.metrics_namespace, "RunsSucceeded", "service", local.functions.extract.name],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 24, width = 12, height = 6
        properties = {
          title  = "Extract: source unobservable (causes) and hidden sessions"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = concat(
            [for cause in ["replica", "timezone"] : [local.metrics_namespace, "SourceUnobservable", "service", local.functions.extract.name, "cause", cause]],
            [[local.metrics_namespace, "SourceSessionsHidden", "service", local.functions.extract.name]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 24, width = 12, height = 6
        properties = {
          title  = "Extract: commit horizon lag behind the database clock (s)"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          metrics = [
            [local.metrics_namespace, "HorizonLag", "service", local.functions.extract.name],
          ]
        }
      },
      {
        type = "alarm", x = 0, y = 30, width = 24, height = 4
        properties = {
          title  = "Alarms"
          alarms = [for alarm in aws_cloudwatch_metric_alarm.pipeline : alarm.arn]
        }
      },
    ]
  })
}
