"""The rules a deployment must pass before it is planned and applied (deploy and
rollback workflows). Each refusal is one line naming the rule.

    python tools/deploy_guard.py deploy   --environment sit --confirm "deploy sit" \
        --ref refs/heads/main --sha <commit> [--change-ticket CHG-1234]
    python tools/deploy_guard.py rollback --environment prod --confirm "rollback prod" \
        --ref refs/heads/main --tag deploy-prod-20260301T101500Z --change-ticket CHG-1
    python tools/deploy_guard.py hours    --environment prod \
        --change-window 2026-03-01T20:00Z/2026-03-01T22:00Z
    python tools/deploy_guard.py previous --environment prod --sha <failed commit> \
        --tags refs.json   # GitHub's matching-refs of tags/deploy-prod-

Rules: the confirmation string is "<action> <environment>"; prod needs a change ticket
and is deployed only by a workflow started from main, with a commit that is on main;
a commit reaches sit only after it was deployed to dev, and prod only after sit;
sit changes only in business hours (Monday-Friday 09:00-17:00 Europe/London); prod
only inside the change window its ticket approved (start/end in UTC, at most 8 hours),
checked when the deployment is requested and again before apply.
A rollback names a deploy-<environment>-<UTC stamp> tag of the same environment.
`previous` names the deployment the automatic rollback returns to when a deployment's
smoke test fails: the newest tag of the environment at another commit (no hours or
window rule: it restores what ran before, inside the deployment already approved).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ENVIRONMENTS = ("dev", "sit", "prod")
PREVIOUS = {"sit": "dev", "prod": "sit"}
CHANGE_TICKET = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{1,8}$")
TAG = re.compile(r"^deploy-(dev|sit|prod)-[0-9]{8}T[0-9]{6}Z$")
SHA = re.compile(r"^[0-9a-f]{40}$")
BUSINESS_HOURS = (9, 17)
BUSINESS_ZONE = ZoneInfo("Europe/London")
WINDOW_BOUND = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z$")
LONGEST_WINDOW = timedelta(hours=8)


class Refused(Exception):
    """A rule the deployment breaks."""


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise Refused(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def tag_stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def check_hours(environment: str, now: datetime) -> None:
    if environment != "sit":
        return
    local = now.astimezone(BUSINESS_ZONE)
    start, end = BUSINESS_HOURS
    if local.weekday() >= 5 or not start <= local.hour < end:
        raise Refused(
            f"sit changes only Monday-Friday {start:02d}:00-{end:02d}:00 Europe/London;"
            f" it is {local:%A %H:%M} there"
        )


def parse_window(window: str) -> tuple[datetime, datetime]:
    """A change window "<start>/<end>", each YYYY-MM-DDTHH:MMZ (UTC)."""
    bounds = window.strip().split("/")
    if len(bounds) != 2 or not all(WINDOW_BOUND.fullmatch(b) for b in bounds):
        raise Refused(
            f"prod needs its change window as <start>/<end> in UTC, e.g."
            f" 2026-03-01T20:00Z/2026-03-01T22:00Z; got {window!r}"
        )
    start, end = (datetime.strptime(b, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC) for b in bounds)
    if not start < end <= start + LONGEST_WINDOW:
        raise Refused(f"change window {window} must end after it starts, within 8 hours")
    return start, end


def check_window(environment: str, window: str, now: datetime) -> None:
    if environment != "prod":
        return
    start, end = parse_window(window)
    if not start <= now.astimezone(UTC) < end:
        raise Refused(
            f"prod changes only inside the change window {window};"
            f" it is {now.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
        )


def check_request(
    action: str, environment: str, confirm: str, ref: str, change_ticket: str
) -> None:
    if environment not in ENVIRONMENTS:
        raise Refused(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    if confirm.strip() != f"{action} {environment}":
        raise Refused(f'confirmation must be exactly "{action} {environment}", got {confirm!r}')
    if environment == "prod":
        if not CHANGE_TICKET.fullmatch(change_ticket.strip()):
            raise Refused(f"prod needs a change ticket like CHG-1234, got {change_ticket!r}")
        if ref != "refs/heads/main":
            raise Refused(f"prod is deployed only from main; this workflow runs on {ref}")


def deployed_tags(sha: str, environment: str) -> list[str]:
    tags = git("tag", "--points-at", sha, "--list", f"deploy-{environment}-*").split()
    return [t for t in tags if TAG.fullmatch(t)]


def check_order(environment: str, sha: str, tags_at=deployed_tags) -> None:
    previous = PREVIOUS.get(environment)
    if previous and not tags_at(sha, previous):
        raise Refused(
            f"{sha[:12]} was never deployed to {previous}; deploy it there before {environment}"
        )


def check_on_main(sha: str, is_ancestor=None) -> None:
    if is_ancestor is None:

        def is_ancestor(commit: str) -> bool:
            return (
                subprocess.run(
                    ["git", "merge-base", "--is-ancestor", commit, "origin/main"], check=False
                ).returncode
                == 0
            )

    if not is_ancestor(sha):
        raise Refused(f"{sha[:12]} is not on main; prod runs only code that is on main")


def resolve_rollback_tag(tag: str, environment: str) -> str:
    match = TAG.fullmatch(tag)
    if not match:
        raise Refused(f"{tag!r} is not a deployment tag deploy-<env>-<YYYYMMDDTHHMMSSZ>")
    if match.group(1) != environment:
        raise Refused(f"{tag} is a deployment of {match.group(1)}, not of {environment}")
    return git("rev-parse", "--verify", f"refs/tags/{tag}^{{commit}}")


def previous_deployment(refs: list[dict], environment: str, failed_sha: str) -> tuple[str, str]:
    """(tag, commit) of the newest deploy-<environment>-<stamp> tag whose commit is not
    the failed one, from GitHub's matching-refs answer (lightweight tags: the ref's
    object is the commit)."""
    deployments = []
    for ref in refs:
        tag = ref.get("ref", "").removeprefix("refs/tags/")
        match = TAG.fullmatch(tag)
        sha = ref.get("object", {}).get("sha", "")
        if match and match.group(1) == environment and SHA.fullmatch(sha) and sha != failed_sha:
            deployments.append((tag, sha))
    if not deployments:
        raise Refused(f"no earlier deployment of {environment} at another commit to return to")
    return max(deployments)  # the stamp sorts by time


def main(argv: list[str] | None = None, now: datetime | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("deploy", "rollback", "hours", "previous"))
    parser.add_argument("--environment", required=True)
    parser.add_argument("--confirm", default="")
    parser.add_argument("--ref", default="")
    parser.add_argument("--sha", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--change-ticket", default="")
    parser.add_argument("--change-window", default="", help="prod: <start>/<end>, UTC")
    parser.add_argument("--tags", help="previous: GitHub's matching-refs JSON of the tags")
    parser.add_argument("--github-output", help="append sha= (the commit to deploy) here")
    args = parser.parse_args(argv)
    now = now or datetime.now(BUSINESS_ZONE)
    if args.action == "previous":
        return _previous(args)
    try:
        check_hours(args.environment, now)
        check_window(args.environment, args.change_window, now)
        if args.action == "hours":
            print(f"{args.environment}: within its change window")
            return 0
        check_request(args.action, args.environment, args.confirm, args.ref, args.change_ticket)
        if args.action == "rollback":
            sha = resolve_rollback_tag(args.tag, args.environment)
        else:
            if not SHA.fullmatch(args.sha):
                raise Refused(f"--sha must be a full commit, got {args.sha!r}")
            sha = args.sha
            check_order(args.environment, sha)
        if args.environment == "prod":
            check_on_main(sha)
    except Refused as refusal:
        print(f"deploy guard: refused: {refusal}", file=sys.stderr)
        return 1
    print(f"deploy guard: {args.action} of {sha[:12]} to {args.environment} may proceed")
    _output(args.github_output, sha=sha)
    return 0


def _previous(args: argparse.Namespace) -> int:
    try:
        with open(args.tags) as refs:
            tag, sha = previous_deployment(json.load(refs), args.environment, args.sha)
    except (Refused, OSError, ValueError) as error:
        print(f"deploy guard: refused: {error}", file=sys.stderr)
        return 1
    print(f"deploy guard: the previous deployment of {args.environment} is {tag} ({sha[:12]})")
    _output(args.github_output, tag=tag, sha=sha)
    return 0


def _output(path: str | None, **values: str) -> None:
    """Append name=value lines to GitHub's step output file, when one is given."""
    if path:
        with open(path, "a") as output:
            output.write("".join(f"{name}={value}\n" for name, value in values.items()))


if __name__ == "__main__":
    sys.exit(main())
