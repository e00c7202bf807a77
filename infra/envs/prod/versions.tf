terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # One state per environment, in the bucket infra/bootstrap creates; use_lockfile makes
  # concurrent applies wait for each other (S3 conditional writes, no DynamoDB table).
  backend "s3" {
    bucket       = "lakegate-prod-tfstate"
    key          = "lakegate/prod/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
