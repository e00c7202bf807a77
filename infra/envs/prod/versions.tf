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
  # The bucket, <name prefix>-<env>-tfstate, comes with the name prefix:
  # terraform init -backend-config="bucket=$(tools/name_prefix.sh)-<env>-tfstate".
  backend "s3" {
    key          = "lakegate/prod/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
