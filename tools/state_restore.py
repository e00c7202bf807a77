"""Restore an earlier version of an environment's Terraform state.

    python tools/state_restore.py --env prod --list
    python tools/state_restore.py --env prod --version-id VERSION_ID

The state lives in `<prefix>-<env>-tfstate` (versioned; infra/bootstrap) under the key
of `infra/envs/<env>/versions.tf`. A restore copies the chosen version over the current
state, so the state Terraform reads is that version again and every version, the one
replaced included, stays in the bucket's history (nothing is deleted; a restore is
undone by restoring the version it printed). It is refused while Terraform holds the
state's lock (`<key>.tflock`: an apply is running) and for a version that is not one
of the state's (or is a delete marker). The rollback workflow runs it before it
redeploys a tag: the plan it shows is then made against the restored state.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lakegate import aws  # noqa: E402
from lakegate.errors import LakegateError  # noqa: E402

KEY = re.compile(r'^\s*key\s*=\s*"([^"]+)"', re.M)
VERSION_ID = re.compile(r"^[A-Za-z0-9._-]{1,1024}$")


def state_location(env: str, prefix: str | None = None) -> tuple[str, str]:
    """(bucket, key) of the environment's state: the bucket by the name prefix, the key
    from the backend block of infra/envs/<env>/versions.tf."""
    versions = (ROOT / "infra" / "envs" / env / "versions.tf").read_text()
    (key,) = KEY.findall(versions)
    return f"{aws.environment_name(env, prefix)}-tfstate", key


def versions(s3, bucket: str, key: str) -> list[dict]:
    """The state's versions, newest first: version id, time, size, latest, deleted."""
    found = []
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for v in page.get("Versions", []):
            if v["Key"] == key:
                found.append(
                    {
                        "version_id": v["VersionId"],
                        "at": v["LastModified"].isoformat(),
                        "size": v["Size"],
                        "latest": v["IsLatest"],
                        "deleted": False,
                    }
                )
        for m in page.get("DeleteMarkers", []):
            if m["Key"] == key:
                found.append(
                    {
                        "version_id": m["VersionId"],
                        "at": m["LastModified"].isoformat(),
                        "size": 0,
                        "latest": m["IsLatest"],
                        "deleted": True,
                    }
                )
    return sorted(found, key=lambda v: v["at"], reverse=True)


def restore(s3, bucket: str, key: str, version_id: str) -> dict:
    """Copy `version_id` of the state over the current state. Returns the version that
    was current (to undo), the one restored and the new current version."""
    if not VERSION_ID.fullmatch(version_id or ""):
        raise LakegateError(f"version id {version_id!r} is not an S3 version id")
    listed = {v["version_id"]: v for v in versions(s3, bucket, key)}
    chosen = listed.get(version_id)
    if chosen is None:
        raise LakegateError(f"s3://{bucket}/{key} has no version {version_id}")
    if chosen["deleted"]:
        raise LakegateError(f"version {version_id} of s3://{bucket}/{key} is a delete marker")
    current = next((v for v in listed.values() if v["latest"]), None)
    if current and current["version_id"] == version_id:
        raise LakegateError(f"version {version_id} is already the current state")
    lock = f"{key}.tflock"
    held = s3.list_objects_v2(Bucket=bucket, Prefix=lock).get("Contents", [])
    if any(o["Key"] == lock for o in held):
        raise LakegateError(
            f"s3://{bucket}/{lock} exists: Terraform holds the state's lock (an apply is"
            " running, or one was interrupted: `terraform force-unlock` after checking)"
        )
    copied = s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id},
    )  # encrypted as every write to the bucket: its default key (infra/bootstrap)
    return {
        "state": f"s3://{bucket}/{key}",
        "replaced_version": current["version_id"] if current else None,
        "restored_version": version_id,
        "restored_from": chosen["at"],
        "current_version": copied.get("VersionId"),
    }


def main(argv: list[str] | None = None, s3=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=aws.ENVIRONMENTS)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true", help="the state's versions, newest first")
    what.add_argument("--version-id", help="the version to make current again")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        bucket, key = state_location(args.env)
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        if args.list:
            for v in versions(s3, bucket, key):
                mark = " (current)" if v["latest"] else (" (deleted)" if v["deleted"] else "")
                print(f"{v['version_id']}  {v['at']}  {v['size']:>10,} bytes{mark}")
            return 0
        result = restore(s3, bucket, key, args.version_id)
        print(json.dumps(result, indent=2))
        print(
            f"state restore: {result['state']} is version {args.version_id} again"
            f" (undo: --version-id {result['replaced_version']})",
            file=sys.stderr,
        )
    except (LakegateError, OSError, ValueError, BotoCoreError, ClientError) as error:
        print(f"state restore: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
