"""Who approved a decision, as an approval system recorded it.

On GitHub, the promote workflow runs in the environment `promote-<env>`, whose required
reviewers approve each run; the API `GET /repos/{repo}/actions/runs/{run_id}/approvals`
lists who approved. The decision records those people, not the one who asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakegate.errors import BadArgument, Refused


@dataclass(frozen=True)
class Approvals:
    requested_by: str
    approvers: tuple[str, ...]

    @property
    def approved_by(self) -> str:
        return ", ".join(self.approvers)

    def to_event(self) -> dict:
        return {"approvers": list(self.approvers), "requested_by": self.requested_by}


def from_github(body: object, environment: str, requested_by: str) -> Approvals:
    """The approvers of `environment` in a GitHub approvals response. Refused when nobody
    approved it, or when the requester is the only one who did."""
    if not isinstance(body, list):
        raise BadArgument("approvals: expected the list GitHub's run approvals API returns")
    approvers: list[str] = []
    for entry in body:
        names = [e.get("name") for e in entry.get("environments", [])]
        login = (entry.get("user") or {}).get("login")
        approved = entry.get("state") == "approved" and environment in names
        if approved and login and login not in approvers:
            approvers.append(login)
    if not approvers:
        raise Refused(f"no approval of environment {environment} is recorded for this run")
    if all(a == requested_by for a in approvers):
        raise Refused(
            f"{requested_by} requested and approved alone: another reviewer of {environment}"
            " must approve"
        )
    return Approvals(requested_by, tuple(approvers))


def read_github(path: Path, environment: str, requested_by: str) -> Approvals:
    try:
        body = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise BadArgument(f"approvals file {path}: {error}") from error
    return from_github(body, environment, requested_by)
