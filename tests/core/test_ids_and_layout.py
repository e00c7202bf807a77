import json
from datetime import UTC, datetime

import pytest

from lakegate import layout
from lakegate.errors import BadArgument
from lakegate.ids import (
    RUN_TYPES,
    Month,
    MonthWindow,
    RunType,
    new_run_id,
    scheduled_window,
    validate_dataset,
    validate_run_id,
    validate_run_type,
)

HOSTILE = [
    "",
    "../x",
    "a/b",
    "a\\b",
    "x" * 81,
    "run id",
    "r\u0131n",
    "ｒｕｎ",
    "a\x00",
    ".",
    "..",
    "run_١",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_run_ids_that_could_escape_or_confuse_a_path_are_refused(value):
    with pytest.raises(BadArgument, match="run_id"):
        validate_run_id(value)


@pytest.mark.parametrize("value", [*HOSTILE, "Transactions", "1tx", "tx-1"])
def test_dataset_names_outside_the_alphabet_are_refused(value):
    with pytest.raises(BadArgument, match="dataset"):
        validate_dataset(value)


def test_step_functions_execution_names_are_valid_run_ids():
    assert validate_run_id("a" * 80) == "a" * 80
    assert validate_run_id("exec-2024_03-abc") == "exec-2024_03-abc"


@pytest.mark.parametrize(
    ("run_type", "expected"),
    [
        ("scheduled", "20260121T120000Z"),
        ("backfill", "20260121T120000Z_BACKFILL"),
        ("retry", "20260121T120000Z_RETRY"),
    ],
)
def test_generated_run_id_is_utc_start_time(run_type, expected):
    assert new_run_id(datetime(2026, 1, 21, 12, 0, tzinfo=UTC), run_type) == expected


@pytest.mark.parametrize(
    ("year", "month"),
    [
        ("24", "3"),
        ("2024", "13"),
        ("2024", "0"),
        ("", "3"),
        ("2024", ""),
        ("2024", "3a"),
        ("２０２４", "3"),
    ],
)
def test_bad_year_or_month_is_refused_with_the_value_named(year, month):
    with pytest.raises(BadArgument) as caught:
        Month.parse(year, month)
    assert "\n" not in str(caught.value)


def test_month_arithmetic_crosses_years():
    assert Month(2024, 1).plus(-1) == Month(2023, 12)
    assert Month(2023, 12).plus(1) == Month(2024, 1)
    assert [m.label for m in MonthWindow(Month(2023, 11), Month(2024, 2)).months()] == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]


def test_window_end_before_start_is_refused():
    with pytest.raises(BadArgument, match="before"):
        MonthWindow(Month(2024, 3), Month(2024, 2))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime(2024, 3, 1, 2, tzinfo=UTC), ("2024-02", "2024-03")),
        (datetime(2024, 3, 3, 2, tzinfo=UTC), ("2024-02", "2024-03")),
        (datetime(2024, 3, 4, 2, tzinfo=UTC), ("2024-03", "2024-03")),
        (datetime(2024, 1, 2, 2, tzinfo=UTC), ("2023-12", "2024-01")),
    ],
)
def test_scheduled_window_reads_the_previous_month_in_the_first_days(today, expected):
    window = scheduled_window(today)
    assert (window.first.label, window.last.label) == expected


def test_layout_keys_follow_the_spec():
    assert layout.run_partition_prefix("transactions", "v1", "r1", Month(2024, 3)) == (
        "transactions/schema_v=v1/run_id=r1/year=2024/month=03/"
    )
    assert layout.success_key("transactions", "v1", "r1") == (
        "transactions/schema_v=v1/run_id=r1/_SUCCESS"
    )
    assert (
        layout.quarantine_run_prefix("transactions", "r1") == "transactions/quarantine/run_id=r1/"
    )
    assert layout.condemned_run_prefix("transactions", "r1") == "transactions/condemned/run_id=r1/"
    assert layout.latest_key("transactions") == "transactions/_LATEST.json"


def test_layout_refuses_identifiers_that_escape_their_prefix():
    with pytest.raises(BadArgument):
        layout.success_key("transactions", "v1", "../../_LATEST.json")
    with pytest.raises(BadArgument):
        layout.latest_key("../silver")


def test_keys_are_parsed_where_they_are_built():
    """The month a bronze file is filed under, the partition folder of a run's file,
    and a publication attempt's manifest key: one home each, in lakegate.layout."""
    march = Month(2024, 3)
    bronze = f"{layout.bronze_month_prefix('transactions', march)}a.csv"
    assert layout.bronze_month(bronze) == march
    run = layout.run_prefix("transactions", "v1", "r1")
    key = f"{layout.run_partition_prefix('transactions', 'v1', 'r1', march)}part-0.parquet"
    assert layout.partition_under(key, run) == "year=2024/month=03"
    condemned = layout.condemned_run_prefix("transactions", "r1")
    with pytest.raises(ValueError, match="is not under"):
        layout.partition_under(key, condemned)
    with pytest.raises(BadArgument, match="is not year=YYYY/month=MM"):
        layout.partition_under(f"{run}_SUCCESS", run)
    assert layout.version_manifest_key("transactions", 7, "ab12") == (
        "transactions/_versions/v00000007-ab12.json"
    )
    with pytest.raises(ValueError, match="letters and digits"):
        layout.version_manifest_key("transactions", 7, "../x")


def test_run_kinds_carry_what_they_imply():
    assert RUN_TYPES == ("scheduled", "backfill", "retry")
    assert validate_run_type("retry") is RunType.RETRY and RunType.RETRY == "retry"
    # Promoting a scheduled run or a backfill replaces the months it read; a retry adds.
    assert [k.replaces_partitions for k in RunType] == [True, True, False]
    assert [k.reads_a_window for k in RunType] == [True, True, False]
    assert [k.resubmits for k in RunType] == [False, False, True]
    assert [k.run_id_suffix for k in RunType] == ["", "_BACKFILL", "_RETRY"]
    assert json.dumps({"run_type": RunType.BACKFILL}) == '{"run_type": "backfill"}'
