"""Decisions record the reviewers who approved (GitHub's approvals API), not the
requester, and a request approved only by its requester is refused."""

from __future__ import annotations

import json

import pytest

from lakegate import layout
from lakegate.config import dataset_config
from lakegate.errors import BadArgument, Refused
from lakegate.storage import Lake
from promotion import audit
from promotion.approvals import from_github
from promotion.audit_view import audit_entries
from promotion.publisher import Promoter
from tests.fake_runs import make_run


def approval(login: str, environment: str = "promote-prod", state: str = "approved") -> dict:
    return {
        "state": state,
        "comment": "looks right",
        "environments": [{"name": environment}],
        "user": {"login": login},
    }


def test_the_reviewers_who_approved_are_the_approvers():
    body = [
        approval("bea"),
        approval("carl", environment="promote-sit"),  # another environment
        approval("dana", state="rejected"),
        approval("eve"),
        approval("bea"),
    ]
    found = from_github(body, "promote-prod", requested_by="ana")
    assert found.approvers == ("bea", "eve") and found.requested_by == "ana"
    assert found.approved_by == "bea, eve"
    assert found.to_event() == {"approvers": ["bea", "eve"], "requested_by": "ana"}


def test_a_requester_who_approved_alone_is_refused():
    with pytest.raises(Refused, match="ana requested and approved alone"):
        from_github([approval("ana")], "promote-prod", requested_by="ana")
    # Approved by the requester and another reviewer: the other approval counts.
    assert from_github([approval("ana"), approval("bea")], "promote-prod", "ana").approvers == (
        "ana",
        "bea",
    )


def test_no_approval_is_refused():
    with pytest.raises(Refused, match="no approval of environment promote-prod"):
        from_github([approval("bea", state="rejected")], "promote-prod", "ana")
    with pytest.raises(BadArgument, match="expected the list"):
        from_github({"message": "Not Found"}, "promote-prod", "ana")


def test_a_promotion_records_the_approvers_and_the_requester(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    make_run(lake, "r1", {"year=2024/month=03": 10})
    make_run(lake, "r2", {"year=2024/month=04": 10})
    promoter = Promoter(lake, dataset_config("transactions"), lambda: "arn:session/promote-ana")
    approvals = from_github([approval("bea"), approval("eve")], "promote-prod", "ana")
    version = promoter.promote("r1", None, "checked the totals", approvals)
    assert version.approved_by == "bea, eve"
    promoter.reject("r2", None, "wrong month", approvals)
    events = audit.events(lake["silver"], "transactions")
    assert [(e["event"], e["approvers"], e["requested_by"]) for e in events] == [
        ("promote", ["bea", "eve"], "ana"),
        ("reject", ["bea", "eve"], "ana"),
    ]
    assert [e["approvers"] for e in audit_entries(promoter)] == [["bea", "eve"]] * 2
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
    assert latest["approved_by"] == "bea, eve"


def test_the_cli_needs_an_approver_or_approvals(tmp_path, capsys):
    from lakegate_cli.cli import main

    lake = tmp_path / "lake"
    make_run(Lake.local(lake), "r1", {"year=2024/month=03": 10})
    code = main(["promote", "r1", "--lake", str(lake), "--reason", "x"])
    assert code == 2
    assert (
        "give --approver NAME, or --approvals FILE with --requested-by" in capsys.readouterr().err
    )
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps([approval("bea")]))
    code = main(["promote", "r1", "--lake", str(lake), "--reason", "x", "--approvals",
                 str(approvals), "--requested-by", "ana"])  # fmt: skip
    assert code == 2 and "--approvals needs --requested-by and --env" in capsys.readouterr().err
