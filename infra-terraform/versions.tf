terraform {
  # 1.6+ for the language features used here; the S3 backend's native lock file
  # (use_lockfile, see backend.tf.example) needs 1.10+.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # nodejs24.x is accepted as a Lambda runtime from provider 6.19 on.
      version = ">= 6.19, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = "totes-pipeline", Prefix = var.prefix }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
