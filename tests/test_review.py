"""What approvers read: the review (text, JSON, HTML page in a real browser) and the runs list."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakegate.config import dataset_config
from lakegate.storage import Lake
from promotion.publisher import Promoter
from promotion.review import list_runs, review_data, review_html, review_text
from tests.cli import lakegate
from tests.fake_runs import make_run

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
    data = review_data(reviewed, "new")
    text = review_text(data)
    assert "[pass] quarantine_rate  quarantine rate 2.00% <= limit 5.00%" in text
    assert "=> PROMOTABLE" in text
    assert data["diff"] == [
        {
            "partition": APR,
            "rows_now": 200,
            "rows_after": 250,
            "runs_now": ["old"],
            "runs_after": ["new"],
            "change": "replaced",
        }
    ]
    blocked = review_text(review_data(reviewed, "blocked"))
    assert "[FAIL] quarantine_rate  quarantine rate 30.00% > limit 5.00%" in blocked
    assert "=> NOT PROMOTABLE" in blocked


def test_runs_list_statuses(reviewed):
    statuses = {row.run_id: row.status for row in list_runs(reviewed)}
    assert statuses == {
        "old": "serving",
        "new": "ready",
        "blocked": "blocked",
        "crashed": "failed/partial",
    }


def _chromium() -> str | None:
    """Debian's chromium here; GitHub's runners have chromium-browser or Google Chrome."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


def test_review_page_renders_in_headless_chromium(reviewed, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    from PIL import Image, ImageStat

    page = tmp_path / "review.html"
    page.write_text(review_html(review_data(reviewed, "new")), encoding="utf-8")
    shot = tmp_path / "review.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1100,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    image = Image.open(shot).convert("L")
    assert image.size == (1100, 1400)
    stats = ImageStat.Stat(image)
    assert stats.stddev[0] > 10, "the screenshot is blank"
    # the charts drew coloured bars: the page is more than text
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20)
    assert any(
        abs(r - 0x2B) < 8 and abs(g - 0x7B) < 8 and abs(b - 0xD9) < 8 for _, (r, g, b) in colours
    ), "no partition bars drawn"


def test_review_page_escapes_what_it_shows(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test:caller")
    make_run(lake, "x", {MAR: 1})
    data = review_data(p, "x")
    data["sample"] = [{"error_message": "<script>alert(1)</script>"}]
    page = review_html(data)
    assert "<script>" not in page and "&lt;script&gt;" in page


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
    assert "promote-refused" in audit.stdout and "approver=Dana" in audit.stdout
    rollback = lakegate("rollback", *where, "--approver", "Dana", "--reason", "x")
    assert rollback.returncode == 3 and "nothing to roll back to" in rollback.stderr
    purge = lakegate("purge-condemned", *where, "--approver", "Dana", "--reason", "retention")
    assert purge.returncode == 0 and "Deleted 0 condemned objects" in purge.stdout


def _quarantine_file(lake: Lake, run_id: str, rows: int) -> None:
    """A quarantine Parquet file as the job writes it (the columns the review reads)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from promotion.review import SAMPLE_COLUMNS

    columns = {name: [f"{name}-{i}" for i in range(rows)] for name in SAMPLE_COLUMNS}
    columns["source_line"] = list(range(2, rows + 2))
    columns["attempt_count"] = [0] * rows
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    key = f"transactions/quarantine/run_id={run_id}/year=2024/month=03/part-0.parquet"
    lake["quarantine"].write_bytes(key, buffer.getvalue())


def test_review_of_a_run_with_quarantined_rows_exits_cleanly_every_time(tmp_path):
    lake = Lake.local(tmp_path / "lake")
    make_run(lake, "q", {MAR: 10})
    _quarantine_file(lake, "q", 25)
    for _ in range(5):  # a thread pool left running could abort the process at exit
        result = lakegate("review", "q", "--lake", str(tmp_path / "lake"))
        assert result.returncode == 0, result.stderr
        assert "Quarantined rows (first 10):" in result.stdout
        assert result.stderr == ""


def test_runs_shows_a_halted_runs_metrics(tmp_path):
    import json

    from lakegate import layout

    lake = Lake.local(tmp_path / "lake")
    halted = make_run(lake, "halted", {MAR: 10}, success=False)
    halted["halted"] = {"tripped": {"TYPE_ERROR": 500}, "threshold": 100}
    lake["quarantine"].write_bytes(
        layout.halted_key("transactions", "halted"), json.dumps(halted).encode()
    )
    p = Promoter(lake, dataset_config("transactions"), lambda: "test")
    (row,) = list_runs(p)
    assert (row.status, row.summary["input_rows"]) == ("halted", 20)
