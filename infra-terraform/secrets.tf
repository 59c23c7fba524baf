# The database credentials live only in Secrets Manager (created once by hand, see README).
# Terraform looks the secrets up to learn their ARNs; it never reads or stores their values.

data "aws_secretsmanager_secret" "totesys" {
  name = startswith(var.totesys_secret_name, "arn:") ? null : var.totesys_secret_name
  arn  = startswith(var.totesys_secret_name, "arn:") ? var.totesys_secret_name : null
}

data "aws_secretsmanager_secret" "warehouse" {
  name = startswith(var.warehouse_secret_name, "arn:") ? null : var.warehouse_secret_name
  arn  = startswith(var.warehouse_secret_name, "arn:") ? var.warehouse_secret_name : null
}
