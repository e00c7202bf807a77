#!/usr/bin/env bash
# The name prefix of every Lakegate resource, as the command line resolves it
# (lakegate.aws.name_prefix): $LAKEGATE_NAME_PREFIX, or lakegate-<account id> of the
# caller. The deploy workflows use it for the state bucket (-backend-config) and pass it
# to Terraform (-var name_prefix=...), so all three agree.
set -euo pipefail
prefix="${LAKEGATE_NAME_PREFIX:-}"
if [ -z "$prefix" ]; then
  account="$(aws sts get-caller-identity --query Account --output text)"
  prefix="lakegate-$account"
fi
if ! [[ "$prefix" =~ ^[a-z][a-z0-9-]{1,20}$ ]]; then
  echo "name prefix '$prefix' must be 2-21 lower-case letters, digits or hyphens, starting with a letter" >&2
  exit 2
fi
printf '%s\n' "$prefix"
