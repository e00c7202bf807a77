"""What approvers read: the review (text, JSON, HTML page in a real browser) and the runs list."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from lakegate.config import dataset_config
from lakegate.errors import BadArgument, Refused
from lakegate.storage import Lake
from promotion.audit_view import audit_entries, audit_html, audit_text, parse_moment
from promotion.publisher import Promoter
from promotion.purge import purge_condemned
from promotion.review import (
    failed_row_sample,
    list_runs,
    review_data,
    review_html,
    review_text,
)
from tests.cli import lakegate
from tests.fake_runs import make_run
from tools.browser import Browser, find_chromium

MAR, APR = "year=2024/month=03", "year=2024/month=04"


@pytest.fixture
def reviewed(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test:caller")
    make_run(lake, "old", {MAR: 100, APR: 200})
    p.promote("old", "Dana", "first")
    make_run(lake, "new", {APR: 250}, run_type="backfill", quarantine_rate=0.02)
    make_run(lake, "blocked", {APR: 10}, quarantine_rate=0.3)
    make_run(lake, "crashed", {APR: 10}, success=False)
    return p


def test_review_shows_gate_metrics_and_the_change_against_published(reviewed):
    data = review_data(reviewed, "new", "/srv/lake")
    text = review_text(data)
    assert "[pass] quarantine_rate  quarantine rate 2.00% <= limit 5.00%" in text
    assert "=> PROMOTABLE" in text
    assert data["changes"] == [
        {
            "partition": APR,
            "rows_now": 200,
            "rows_after": 250,
            "runs_now": ["old"],
            "runs_after": ["new"],
            "change": "replaced",
            "totals": [
                {
                    "key": "EUR",
                    "rows_now": 200,
                    "rows_after": 250,
                    "sum_now": "2000.00",
                    "sum_after": "2500.00",
                    "sum_change": "500.00",
                }
            ],
        }
    ]
    blocked = review_text(review_data(reviewed, "blocked"))
    assert "[FAIL] quarantine_rate  quarantine rate 30.00% > limit 5.00%" in blocked
    assert "=> NOT PROMOTABLE" in blocked


def test_totals_now_add_up_the_runs_a_partition_serves_and_retries_append(tmp_path):
    """A partition served by a run and a retry run's appended rows: the totals now are
    the sum of both runs' control totals; a new currency appears with nothing before."""
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test:caller")
    eur = {MAR: [{"key": "EUR", "rows": 3, "sum": "100.10"}]}
    make_run(lake, "base", {MAR: 3}, totals=eur)
    p.promote("base", "Dana", "first")
    fixed = {MAR: [{"key": "EUR", "rows": 1, "sum": "-0.10"}]}
    make_run(lake, "fix_RETRY", {MAR: 1}, run_type="retry", totals=fixed)
    p.promote("fix_RETRY", "Dana", "corrections")
    new = {
        MAR: [{"key": "EUR", "rows": 2, "sum": "50.00"}, {"key": "USD", "rows": 1, "sum": "7.25"}]
    }
    make_run(lake, "redo", {MAR: 3}, totals=new)
    (change,) = review_data(p, "redo")["changes"]
    assert change["runs_now"] == ["base", "fix_RETRY"]
    assert change["totals"] == [
        {
            "key": "EUR",
            "rows_now": 4,
            "rows_after": 2,
            "sum_now": "100.00",
            "sum_after": "50.00",
            "sum_change": "-50.00",
        },
        {
            "key": "USD",
            "rows_now": 0,
            "rows_after": 1,
            "sum_now": "0",
            "sum_after": "7.25",
            "sum_change": "7.25",
        },
    ]
    rows = [line.split() for line in review_text(review_data(p, "redo")).splitlines()]
    assert ["2024-03", "replaced", "EUR", "4", "2", "100.00", "50.00", "-50.00"] in rows
    assert ["2024-03", "replaced", "USD", "0", "1", "0.00", "7.25", "+7.25"] in rows
    assert ["2024-03", "replaced", "all", "4", "3", "-1", "rows"] in rows


def test_totals_of_a_run_from_before_control_totals_are_not_recorded(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test:caller")
    make_run(lake, "older", {MAR: 5}, totals=False)
    p.promote("older", "Dana", "first")
    make_run(lake, "newer", {MAR: 6})
    data = review_data(p, "newer")
    assert data["changes"][0]["totals"] is None
    assert "not recorded" in review_text(data) and "not recorded" in review_html(data)


def _visible_text(page: str) -> str:
    """What a reader sees of a page: no style sheet, no tags."""
    return html.unescape(
        re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S))
    )


def test_the_review_speaks_to_people_not_to_python(reviewed):
    """No dict, list or None literals, no raw fractions: separators, percentages, UTC."""
    make_run(reviewed.lake, "big", {MAR: 1_234_567}, critical={"BUSINESS_DUPLICATE": 3})
    _quarantine_file(reviewed.lake, "big", 5)
    data = review_data(reviewed, "big", "/srv/lake")
    for shown in (review_text(data), _visible_text(review_html(data))):
        for literal in ("{'", "{}", "['", "[]", "None", "True", "False", "0.01 ", "'BUSINESS"):
            assert literal not in shown, literal
        assert "1,234,567" in shown and "1,234,577" in shown
        assert "12,345,670.00" in shown
        assert "2026-01-21 12:01:00 UTC" in shown
        assert "BUSINESS_DUPLICATE (critical: blocks promotion)" in shown
        assert "critical errors: BUSINESS_DUPLICATE 3" in shown
        assert "1.00%" in shown


def test_the_verdict_and_the_commands_come_first(reviewed):
    data = review_data(reviewed, "new", "/srv/lake")
    text = review_text(data)
    lines = text.splitlines()
    assert lines[2] == "READY TO PROMOTE: EVERY GATE CHECK PASSES"
    promote = (
        'lakegate promote new --dataset transactions --lake /srv/lake --approver "Your Name"'
        ' --reason "Why"'
    )
    assert f"  local lake, promote: {promote}" in lines[:10]
    assert text.index(promote) < text.index("Gate:")
    page = review_html(data)
    command = html.escape(promote, quote=True)
    assert page.index("Ready to promote") < page.index(command) < page.index("<h2>Gate</h2>")
    aws = review_data(reviewed, "new", env="sit")["commands"]["aws"]["reject"]
    assert aws == (
        'lakegate reject new --dataset transactions --env sit --approver "Your Name" --reason "Why"'
    )
    blocked = review_text(review_data(reviewed, "blocked"))
    assert blocked.splitlines()[2] == "NOT PROMOTABLE: 1 GATE CHECK(S) FAIL"
    assert "lakegate promote blocked" not in blocked and "lakegate reject blocked" in blocked


def test_text_and_page_show_the_same_sections_in_the_same_order(reviewed):
    _quarantine_file(reviewed.lake, "new", 4)
    data = review_data(reviewed, "new")
    text, page = review_text(data), review_html(data)
    text_order = [
        "Decide",
        "Gate:",
        "Rows:",
        "Change against",
        "Errors:",
        "Failed rows",
        "Recent runs",
        "Run:",
    ]
    page_order = [
        "<h2>Decide",
        "<h2>Gate",
        "<h2>Rows",
        "<h2>Change against",
        "<h2>Errors",
        "<h2>Failed rows",
        "<h2>Recent runs",
        "<h2>Run<",
    ]
    assert [text.index(h) for h in text_order] == sorted(text.index(h) for h in text_order)
    assert [page.index(h) for h in page_order] == sorted(page.index(h) for h in page_order)


def test_failed_rows_are_sampled_per_error_class_with_their_field(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    summary = make_run(lake, "q", {MAR: 10})
    rows = [
        ("a.csv", 2, "TYPE_ERROR", "TransactionAmount 'x' is not a decimal"),
        ("a.csv", 3, "TYPE_ERROR", "TransactionTimestamp 'y' is not an ISO-8601 date and time"),
        ("a.csv", 4, "TYPE_ERROR", "TransactionAmount 'z' is not a decimal"),
        ("a.csv", 5, "TYPE_ERROR", "TransactionAmount 'w' is not a decimal"),
        ("b.csv", 2, "MALFORMED_ROW", "line is not a record: broken quoting"),
        ("b.csv", 9, "CURRENCY_ERROR", "Currency 'XXX' is not one of EUR"),
    ]
    _quarantine_rows(lake, "q", rows)
    p = Promoter(lake, dataset_config("transactions"), lambda: "t")
    summary = summary.but(
        error_type_distribution={"MALFORMED_ROW": 1, "TYPE_ERROR": 4, "CURRENCY_ERROR": 1}
    )
    sample = failed_row_sample(p, "q", summary["error_type_distribution"])
    assert [(r["error_type"], r["source_file"], r["source_line"], r["field"]) for r in sample] == [
        ("MALFORMED_ROW", "b.csv", 2, "whole line"),
        ("TYPE_ERROR", "a.csv", 2, "TransactionAmount"),
        ("TYPE_ERROR", "a.csv", 3, "TransactionTimestamp"),
        ("TYPE_ERROR", "a.csv", 4, "TransactionAmount"),
        ("CURRENCY_ERROR", "b.csv", 9, "Currency"),
    ]


def test_runs_list_statuses(reviewed):
    statuses = {row.run_id: row.status for row in list_runs(reviewed)}
    assert statuses == {
        "old": "serving",
        "new": "ready",
        "blocked": "blocked",
        "crashed": "failed/partial",
    }


WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    with Browser() as opened:
        yield opened


def _audited(tmp_path) -> Promoter:
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "arn:aws:sts::1:assumed-role/x")
    make_run(lake, "old", {MAR: 100, APR: 200})
    p.promote("old", "Dana Controller", "first month-end load " * 6)
    make_run(lake, "bad", {APR: 10}, quarantine_rate=0.3)
    with pytest.raises(Refused):
        p.promote("bad", "Dana Controller", "try")
    p.reject("bad", "Dana Controller", "too many rows in quarantine")
    make_run(lake, "new", {APR: 250}, run_type="backfill", quarantine_rate=0.02)
    p.promote("new", "Eve Analyst", "April backfill")
    p.rollback("Eve Analyst", "April totals wrong")
    condemned = "transactions/condemned/run_id=old/year=2024/month=03/part-0.parquet"
    p.lake["quarantine"].write_bytes(condemned, b"x" * 1234)
    purge_condemned(p.lake, "transactions", "Fay Compliance", "retention", "local:fay", p.now())
    return p


def _pages(tmp_path) -> dict[str, Path]:
    p = _audited(tmp_path)
    make_run(p.lake, "next", {APR: 260}, quarantine_rate=0.01)
    _quarantine_file(p.lake, "next", 30)
    review = tmp_path / "review.html"
    review.write_text(review_html(review_data(p, "next", str(tmp_path / "lake"))), "utf-8")
    audit = tmp_path / "audit.html"
    audit.write_text(audit_html("transactions", audit_entries(p), None, None), "utf-8")
    return {"review": review, "audit": audit}


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_screen_in_headless_chromium(browser, tmp_path, width):
    """Rendered as a reader's browser shows them: nothing wider than the screen, at a
    desktop's and at a phone's width, and the page is drawn (not blank)."""
    from PIL import Image, ImageStat

    for name, page in _pages(tmp_path).items():
        opened = browser.open(page, width)
        assert opened.overflow() == 0, f"{name} page is wider than {width} px"
        assert opened.evaluate("document.querySelectorAll('figure.chart').length") >= 1
        shot = opened.screenshot(tmp_path / f"{name}-{width}.png")
        image = Image.open(shot)
        assert image.size[0] == width and image.size[1] > 600
        assert ImageStat.Stat(image.convert("L")).stddev[0] > 10, f"{name} is blank"


def test_pages_give_every_chart_a_text_alternative_and_every_table_headers(browser, tmp_path):
    for name, page in _pages(tmp_path).items():
        opened = browser.open(page, 1280)
        charts = opened.evaluate(
            "[...document.querySelectorAll('figure.chart')].map("
            "f => [f.getAttribute('role'), f.getAttribute('aria-label')])"
        )
        assert charts, name
        for role, label in charts:
            assert role == "img" and label and ":" in label, (name, label)
        tables = opened.evaluate(
            "[...document.querySelectorAll('table')].map(t => ["
            "t.querySelectorAll('thead th[scope=col]').length,"
            "t.querySelector('tbody tr').children.length])"
        )
        assert tables, name
        for headers, cells in tables:
            assert headers == cells or cells == 1, (name, headers, cells)
        assert opened.evaluate("document.querySelectorAll('svg:not([role])').length") == 0


def test_review_page_escapes_what_it_shows(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test:caller")
    make_run(lake, "x", {MAR: 1})
    data = review_data(p, "x")
    data["sample"] = [
        {
            "error_type": "TYPE_ERROR",
            "outcome": "quarantined",
            "source_file": "a.csv",
            "source_line": 2,
            "field": "TransactionAmount",
            "message": "<script>alert(1)</script>",
            "attempt_count": 0,
        }
    ]
    page = review_html(data)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_audit_view_names_who_when_why_the_run_and_the_version(tmp_path):
    p = _audited(tmp_path)
    entries = audit_entries(p)
    assert [(e["event"], e["run_id"], e["version_produced"]) for e in entries] == [
        ("promote", "old", 1),
        ("promote-refused", "bad", None),
        ("reject", "bad", None),
        ("promote", "new", 2),
        ("rollback", None, 3),
        ("purge-condemned", None, None),
    ]
    assert entries[3]["approvers"] == ["Eve Analyst"]
    assert entries[3]["caller"] == "arn:aws:sts::1:assumed-role/x"
    assert entries[3]["input_rows"] == 260 and entries[3]["quarantine_rate"] == 0.02
    text = audit_text("transactions", entries, None, None)
    assert "published: run new (backfill) -> version 2" in text
    assert "rejected: run bad (scheduled) -> not published (gate then: quarantine rate" in text
    assert "rolled back: to the content of version 1 -> version 3" in text
    assert "run metrics then: 260 rows, 250 valid, quarantine 2.00%" in text
    assert "condemned rows deleted: 1 object, 1,234 bytes -> deleted" in text
    assert "decided by Fay Compliance; called by local:fay; reason: retention" in text


def test_a_publication_that_stopped_before_its_version_is_not_called_published(tmp_path):
    """The decision is recorded first; S3 failing before the version manifest leaves a
    record no version names. An auditor must not read it as a publication."""
    from datetime import UTC, datetime

    from promotion import audit

    p = _audited(tmp_path)
    audit.record(p.store, "transactions", "promote", datetime(2099, 1, 1, tzinfo=UTC),
                 {"run_id": "new", "approver": "Gus", "reason": "retry later"})  # fmt: skip
    entries = audit_entries(p)
    stopped = entries[-1]
    assert (stopped["event"], stopped["version_produced"]) == ("promote", None)
    assert stopped["what"] == "publication not completed"
    text = audit_text("transactions", entries, None, None)
    assert "published 2," in text and "publication not completed 1" in text
    assert "publication not completed: run new -> no version (stopped before its version" in text


def test_audit_view_filters_by_time_window(tmp_path):
    from datetime import UTC, datetime, timedelta

    moments = iter(datetime(2026, 3, d, 9, 0, tzinfo=UTC) for d in range(1, 30))
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "t", now=lambda: next(moments))
    for n in range(4):
        make_run(lake, f"r{n}", {MAR: 10 + n})
        p.promote(f"r{n}", "Dana", f"load {n}")
    entries = audit_entries(
        p, parse_moment("2026-03-03", "--since"), parse_moment("2026-03-07", "x")
    )
    assert [e["run_id"] for e in entries] == ["r1", "r2"]
    assert audit_entries(p, datetime(2026, 3, 9, tzinfo=UTC)) == []
    assert audit_entries(p, until=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=1)) == []
    with pytest.raises(BadArgument, match="--since 'last week' is not a date"):
        parse_moment("last week", "--since")


@pytest.mark.parametrize(
    "command",
    [
        "ingest",
        "backfill",
        "runs",
        "review",
        "promote",
        "reject",
        "rollback",
        "audit",
        "purge-condemned",
        "sync-current",
    ],
)
def test_every_command_has_useful_help(command):
    result = lakegate(command, "--help")
    assert result.returncode == 0
    assert "--dataset" in result.stdout and "--lake" in result.stdout
    assert len(result.stdout.splitlines()) > 6


def test_command_line_promotion_flow_and_exit_codes(tmp_path: Path):
    lake = Lake.local(tmp_path / "lake")
    make_run(lake, "good", {MAR: 10})
    make_run(lake, "bad", {MAR: 10}, quarantine_rate=0.5)
    where = ["--lake", str(tmp_path / "lake")]
    refused = lakegate("promote", "bad", *where, "--approver", "Dana", "--reason", "x")
    assert refused.returncode == 3
    assert refused.stderr.strip() == (
        "lakegate: promotion of bad refused: quarantine_rate: quarantine rate 50.00% > limit 5.00%"
    )
    ok = lakegate("promote", "good", *where, "--approver", "Dana", "--reason", "month end")
    assert ok.returncode == 0 and '"version": 1' in ok.stdout
    missing = lakegate("promote", "good", *where, "--reason", "x")
    assert missing.returncode == 2 and "--approver" in missing.stderr
    escape = lakegate("review", "../../etc", *where)
    assert escape.returncode == 2 and len(escape.stderr.strip().splitlines()) == 1
    unknown = lakegate("review", "nope", *where)
    assert unknown.returncode == 2 and "run nope does not exist" in unknown.stderr
    page = tmp_path / "r.html"
    review = lakegate("review", "good", *where, "--html", str(page))
    assert review.returncode == 0 and page.read_text().startswith("<!doctype html>")
    audit = lakegate("audit", *where)
    assert "promotion refused by the gate: run bad (scheduled) -> refused:" in audit.stdout
    assert "decided by Dana; called by local:" in audit.stdout
    audit_page = tmp_path / "audit.html"
    paged = lakegate("audit", *where, "--since", "2000-01-01", "--html", str(audit_page))
    assert paged.returncode == 0 and "2 events" in paged.stdout
    assert "version 1" in audit_page.read_text()
    bad_since = lakegate("audit", *where, "--since", "yesterday")
    assert bad_since.returncode == 2 and "--since 'yesterday' is not a date" in bad_since.stderr
    rollback = lakegate("rollback", *where, "--approver", "Dana", "--reason", "x")
    assert rollback.returncode == 3 and "nothing to roll back to" in rollback.stderr
    purge = lakegate("purge-condemned", *where, "--approver", "Dana", "--reason", "retention")
    assert purge.returncode == 0 and "Deleted 0 condemned objects" in purge.stdout


def _quarantine_rows(lake: Lake, run_id: str, rows: list[tuple[str, int, str, str]]) -> None:
    """A quarantine Parquet file as the job writes it (the columns the review reads):
    (source_file, source_line, error_type, error_message) per row."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    files, lines, types, messages = (list(c) for c in zip(*rows, strict=True))
    table = pa.table(
        {
            "source_file": files,
            "source_line": pa.array(lines, pa.int32()),
            "error_type": types,
            "error_message": messages,
            "attempt_count": pa.array([0] * len(rows), pa.int32()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    key = f"transactions/quarantine/run_id={run_id}/year=2024/month=03/part-0.parquet"
    lake["quarantine"].write_bytes(key, buffer.getvalue())


def _quarantine_file(lake: Lake, run_id: str, rows: int) -> None:
    """`rows` TYPE_ERROR rows of one file (the class make_run's summaries name)."""
    _quarantine_rows(
        lake,
        run_id,
        [
            (
                "transactions/year=2024/month=03/" + "very-long-file-name-" * 4 + ".csv",
                i + 2,
                "TYPE_ERROR",
                f"TransactionAmount '{'9' * 60}{i}' is not a decimal with at most"
                " 16 integer digits and 2 decimals",
            )
            for i in range(rows)
        ],
    )


def test_review_of_a_run_with_quarantined_rows_exits_cleanly_every_time(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    make_run(lake, "q", {MAR: 10})
    _quarantine_file(lake, "q", 25)
    for _ in range(5):  # a thread pool left running could abort the process at exit
        result = lakegate("review", "q", "--lake", str(tmp_path / "lake"))
        assert result.returncode == 0, result.stderr
        assert "Failed rows, up to 3 of each error class:" in result.stdout
        assert result.stderr == ""


def test_runs_shows_a_halted_runs_metrics(tmp_path):
    from lakegate import layout

    lake = Lake.local(tmp_path / "lake")
    halted = make_run(lake, "halted", {MAR: 10}, success=False).but(
        halted={"tripped": {"TYPE_ERROR": 500}, "threshold": 100}
    )
    lake["quarantine"].write_bytes(layout.halted_key("transactions", "halted"), halted.to_json())
    p = Promoter(lake, dataset_config("transactions"), lambda: "test")
    (row,) = list_runs(p)
    assert (row.status, row.summary["input_rows"]) == ("halted", 20)


def test_the_failed_row_sample_starts_no_thread_pool(tmp_path):
    """A native thread pool alive at interpreter exit can abort `lakegate review`
    ("terminate called without an active exception"): the sample is read without one."""
    import subprocess
    import sys

    lake = Lake.local(tmp_path / "lake")
    make_run(lake, "q", {MAR: 10})
    _quarantine_file(lake, "q", 25)
    script = f"""
import os
from lakegate.config import dataset_config
from lakegate.storage import Lake
from promotion.publisher import Promoter
from promotion.review import failed_row_sample
import pyarrow
promoter = Promoter(Lake.local({str(tmp_path / "lake")!r}), dataset_config("transactions"),
                    lambda: "test")
before = len(os.listdir("/proc/self/task"))
sample = failed_row_sample(promoter, "q", {{"TYPE_ERROR": 25}})
print(len(sample), len(os.listdir("/proc/self/task")) - before)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["3", "0"]
