# The trust policy of a role assumed by GitHub Actions: GitHub's OIDC provider, the STS
# audience, and exactly the subjects given (a repository's environment, pull requests,
# or a branch), never a wildcard.
data "aws_iam_policy_document" "this" {
  statement {
    sid     = "GitHubActions"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = var.subjects
    }
  }
}
