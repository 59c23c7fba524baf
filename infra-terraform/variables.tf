variable "prefix" {
  description = "Prefix of every resource name (buckets <prefix>-ingestion / <prefix>-processed, queues, tables, functions). S3 bucket names are global: pick a prefix unique to your account, e.g. \"totes-acme-prod\"."
  type        = string
  default     = "totes"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-42 characters of lower-case letters, digits and hyphens (it becomes part of S3 bucket names)."
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-2"
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "alert_email" {
  description = "E-mail address subscribed to the alarm topic (AWS sends a confirmation mail that must be accepted once). Empty: no e-mail subscription."
  type        = string
  default     = ""
}

variable "paging_url" {
  description = "Optional HTTPS endpoint of a paging service (PagerDuty, Opsgenie, ...) subscribed to the alarm topic. Empty: none."
  type        = string
  default     = ""

  validation {
    condition     = var.paging_url == "" || startswith(var.paging_url, "https://")
    error_message = "paging_url must be empty or an https:// URL."
  }
}

variable "runbook_url" {
  description = "Where RUNBOOK.md is published; each alarm's description ends with this URL plus the alarm's anchor."
  type        = string
  default     = "RUNBOOK.md"
}

variable "totesys_secret_name" {
  description = "Name or ARN of the existing Secrets Manager secret with the totesys (source) database credentials: JSON {username,password,host,port,dbname} or {url}. Terraform never holds the value."
  type        = string
  default     = "totes/totesys"
}

variable "warehouse_secret_name" {
  description = "Name or ARN of the existing Secrets Manager secret with the warehouse database credentials: JSON {username,password,host,port,dbname} or {url}."
  type        = string
  default     = "totes/warehouse"
}

variable "secrets_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the two secrets, if any. Empty: the secrets use the AWS-managed key, which needs no extra permission."
  type        = string
  default     = ""
}

variable "lambda_dist_dir" {
  description = "Directory holding extract.zip, transform.zip and load.zip as produced by `npm run build`. Empty: ../dist relative to this module."
  type        = string
  default     = ""
}

variable "lambda_architecture" {
  description = "Lambda instruction set. The bundles are plain JavaScript, so arm64 (cheaper) and x86_64 both work."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL for every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups, in days."
  type        = number
  default     = 30
}

variable "vpc_subnet_ids" {
  description = "Private subnets for the functions that reach a database (extract, load), e.g. when totesys or the warehouse is an RDS instance without public access. Empty: no VPC. The subnets need a NAT gateway or VPC endpoints for S3, DynamoDB, SQS and Secrets Manager."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups for the functions in vpc_subnet_ids (must allow egress to the databases on 5432 and to HTTPS endpoints)."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Protect the DynamoDB tables (watermarks, idempotency) from deletion. Turn off only to tear a test deployment down."
  type        = bool
  default     = true
}
