# Powertools idempotency records (transform, load): partition key `id`, TTL attribute `expiration`.
resource "aws_dynamodb_table" "idempotency" {
  name                        = local.tables.idempotency
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true # AWS-managed key: no key policy or extra IAM needed
  }
}

# Watermarks, run lease, run history, heartbeats and failure records: keys pk + sk, TTL expires_at.
resource "aws_dynamodb_table" "state" {
  name                        = local.tables.state
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
