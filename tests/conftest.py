"""Shared fixtures: one SparkSession for the whole test session, and lake folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lakegate.storage import Lake


@pytest.fixture(scope="session")
def spark():
    from lakegate_cli.javacheck import ensure_java17

    ensure_java17()
    from glue_jobs.session import local_session

    session = local_session(
        "lakegate-tests",
        **{
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "2g",
        },
    )
    yield session
    session.stop()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.local(tmp_path / "lake")


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """Tests never reach AWS: fake credentials, a fixed region, a fixed name prefix."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # Resources are named lakegate-<env>-... (tests of the account default unset it).
    monkeypatch.setenv("LAKEGATE_NAME_PREFIX", "lakegate")
    yield
    os.environ.pop("LAKEGATE_CODE_VERSION", None)


# The longest files, started first when the suite runs in parallel workers (make test:
# pytest-xdist, a file at a time per worker), so that none of them is left running
# alone at the end while the other workers are done.
LONGEST_FIRST = ("test_rehearsal.py", "test_alert_scenario.py", "test_races.py", "test_demo.py")


def pytest_collection_modifyitems(items) -> None:
    """`spark` marks every test that uses the session's SparkSession, so that
    `make test-fast` (-m "not spark and not slow") leaves them out."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
