"""The ingestion job end to end on a local lake (glue_jobs.job.run_ingest)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from glue_jobs.job import IngestRequest, run_ingest
from lakegate import layout
from lakegate.config import dataset_config
from lakegate.errors import BadArgument, CircuitBreakerTripped, Refused, SchemaError
from lakegate.ids import Month, MonthWindow
from lakegate.jsondoc import json_type
from lakegate.pointer import Latest
from lakegate.storage import Lake
from lakegate.summary import SUCCESS_FIELD_TYPES, SUCCESS_FIELDS
from lakegate_cli.sample import Injection, generate
from promotion.release import release_condemned
from tests.helpers import csv_file

JAN, FEB, MAR, APR = Month(2024, 1), Month(2024, 2), Month(2024, 3), Month(2024, 4)


class Clock:
    """A fixed, advancing clock so that runs are reproducible."""

    def __init__(self, start=datetime(2026, 1, 21, 12, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


# The run summary's fields that differ between two runs of the same input (times and
# where the run wrote).
VARYING = (
    "started_at",
    "ended_at",
    "duration_seconds",
    "partitions",
    "quarantine_location",
    "condemned_location",
)


def request(run_id, first, last=None, run_type="scheduled", input_files=(), **config):
    return IngestRequest(
        config=dataset_config("transactions", **config),
        window=MonthWindow(first, last or first),
        run_id=run_id,
        run_type=run_type,
        input_files=tuple(input_files),
    )


def table(root: Path, bucket_prefix: str) -> pa.Table:
    """An independent read (pyarrow, hive partitions as strings)."""
    partitioning = pads.partitioning(
        pa.schema([("year", pa.string()), ("month", pa.string())]), flavor="hive"
    )
    return pads.dataset(
        str(root / bucket_prefix), format="parquet", partitioning=partitioning
    ).to_table()


def success(lake, run_id):
    return json.loads(lake["silver"].read_bytes(layout.success_key("transactions", "v1", run_id)))


@pytest.fixture(scope="module")
def generated(spark, tmp_path_factory):
    """Three months of generated bronze, ingested once; shared by the read-only tests."""
    root = tmp_path_factory.mktemp("generated") / "lake"
    lake = Lake.local(root)
    expected = generate(lake["bronze"], "transactions", [JAN, FEB, MAR], rows_per_month=400)
    summary = run_ingest(spark, lake, request("gen-1", JAN, MAR), now=Clock())
    return root, lake, expected, summary


def test_counts_match_the_generators_account(generated):
    _, _, expected, summary = generated
    assert summary["input_rows"] == expected.input_rows
    assert summary["valid_rows_count"] == expected.valid
    assert summary["quarantined_rows_count"] == expected.quarantined
    assert summary["condemned_rows_count"] == expected.condemned
    assert summary["error_type_distribution"] == dict(expected.by_error_type)
    assert {p["partition"]: p["rows"] for p in summary["partitions"]} == dict(
        expected.valid_by_partition
    )


def test_every_input_row_is_in_exactly_one_output(generated):
    root, _, expected, summary = generated
    silver = table(root, "silver/transactions/schema_v=v1/run_id=gen-1")
    quarantine = table(root, "quarantine/transactions/quarantine/run_id=gen-1")
    condemned = table(root, "quarantine/transactions/condemned/run_id=gen-1")
    assert silver.num_rows + quarantine.num_rows + condemned.num_rows == expected.input_rows
    keys = [
        (f, n)
        for t in (silver, quarantine, condemned)
        for f, n in zip(t["source_file"].to_pylist(), t["source_line"].to_pylist(), strict=True)
    ]
    assert len(keys) == len(set(keys)) == summary["input_rows"]


def test_success_is_json_with_every_documented_field(generated):
    _, lake, _, summary = generated
    written = success(lake, "gen-1")
    assert set(SUCCESS_FIELDS) <= set(written)
    types = {f: json_type(written[f]) for f in SUCCESS_FIELDS}
    assert all(types[f] in SUCCESS_FIELD_TYPES[f].split("|") for f in SUCCESS_FIELDS), types
    assert written == summary
    assert written["input_window"] == {"from": "2024-01", "to": "2024-03"}
    assert written["circuit_breaker_triggers"] == 0


def test_one_parquet_file_per_partition(generated):
    summary = generated[3]
    assert [len(p["files"]) for p in summary["partitions"]] == [1, 1, 1]
    for partition in summary["partitions"]:
        for key in partition["files"]:
            assert key.startswith(
                f"transactions/schema_v=v1/run_id=gen-1/{partition['partition']}/"
            )


def test_an_independent_reader_sees_the_documented_silver_schema(generated):
    import duckdb

    root, _, _, _ = generated
    silver = table(root, "silver/transactions/schema_v=v1/run_id=gen-1")
    assert silver.schema.field("TransactionAmount").type == pa.decimal128(18, 2)
    assert silver.schema.field("TransactionTimestamp").type == pa.timestamp("us", tz="UTC")
    for name in ("TransactionID", "CustomerID", "Currency", "source_file", "row_hash", "run_id"):
        assert silver.schema.field(name).type == pa.string()
    assert set(silver.schema.names) == {
        "TransactionID",
        "CustomerID",
        "TransactionAmount",
        "Currency",
        "TransactionTimestamp",
        "source_file",
        "source_line",
        "row_hash",
        "run_id",
        "year",
        "month",
    }
    glob = str(root / "silver/transactions/schema_v=v1/run_id=gen-1/*/*/*.parquet")
    described = duckdb.sql(
        f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true,"
        " hive_types = {'year': VARCHAR, 'month': VARCHAR})"
    ).fetchall()
    types = {name: kind for name, kind, *_ in described}
    assert types["TransactionAmount"] == "DECIMAL(18,2)"
    assert types["TransactionTimestamp"] == "TIMESTAMP WITH TIME ZONE"
    months = duckdb.sql(
        f"SELECT DISTINCT month FROM read_parquet('{glob}', hive_partitioning = true,"
        " hive_types = {'year': VARCHAR, 'month': VARCHAR}) ORDER BY 1"
    ).fetchall()
    assert months == [("01",), ("02",), ("03",)]


def test_quarantine_rows_keep_raw_values_and_lineage(generated):
    root, _, _, _ = generated
    quarantine = table(root, "quarantine/transactions/quarantine/run_id=gen-1").to_pylist()
    malformed = [r for r in quarantine if r["error_type"] == "MALFORMED_ROW"]
    assert malformed and all(r["raw_line"] and r["TransactionID"] is None for r in malformed)
    nulls = [r for r in quarantine if r["error_type"] == "NULL_VALUE_ERROR"]
    assert nulls and all(r["raw_line"] is None and r["TransactionID"] for r in nulls)
    for row in quarantine:
        assert row["attempt_count"] == 0 and len(row["retry_history"]) == 1
        assert row["run_id"] == "gen-1" and row["source_line"] >= 2
        assert row["error_message"]


def test_same_input_gives_the_same_output(spark, tmp_path):
    outputs = []
    for name in ("a", "b"):
        lake = Lake.local(tmp_path / name)
        generate(lake["bronze"], "transactions", [FEB, MAR], rows_per_month=150, seed=11)
        summary = run_ingest(spark, lake, request("same", FEB, MAR), now=Clock()).to_dict()
        tables = [
            table(tmp_path / name, p).sort_by(
                [("source_file", "ascending"), ("source_line", "ascending")]
            )
            for p in (
                "silver/transactions/schema_v=v1/run_id=same",
                "quarantine/transactions/quarantine/run_id=same",
                "quarantine/transactions/condemned/run_id=same",
            )
        ]
        for key in VARYING:
            summary.pop(key)
        outputs.append((summary, [t.to_pylist() for t in tables]))
    assert outputs[0] == outputs[1]


def test_schema_drift_fails_before_anything_is_written(spark, lake):
    good = csv_file("T1,C1,1.00,EUR,2024-03-01 10:00:00")
    lake["bronze"].write_bytes("transactions/year=2024/month=03/a.csv", good.encode())
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/b.csv",
        b"TransactionID,CustomerID,Amount,Currency,TransactionTimestamp\nT2,C2,1.00,EUR,x\n",
    )
    with pytest.raises(SchemaError) as caught:
        run_ingest(spark, lake, request("drift", MAR), now=Clock())
    assert str(caught.value) == (
        "SCHEMA_ERROR transactions/year=2024/month=03/b.csv: missing TransactionAmount;"
        " unexpected 'Amount' (header: TransactionID,CustomerID,Amount,Currency,"
        "TransactionTimestamp); only registered, additive schema versions are read"
        " (docs/schema-evolution.md)"
    )
    assert list(lake["silver"].list("")) == [] and list(lake["quarantine"].list("")) == []


def test_success_records_control_totals_per_partition_and_currency(spark, lake):
    """Rows and exact sums of the valid rows written, per month and currency; failed
    and duplicate rows are not in them."""
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/a.csv",
        csv_file(
            "T1,C1,10.10,EUR,2024-03-01 10:00:00",
            "T2,C1,-0.05,EUR,2024-03-02 10:00:00",
            "T3,C2,99999999999999.99,EUR,2024-03-03 10:00:00",
            "T4,C2,7.00,USD,2024-03-04 10:00:00",
            "T5,C2,5.00,BTC,2024-03-04 10:00:00",
            "T4,C2,7.00,USD,2024-03-04 10:00:00",
        ).encode(),
    )
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=04/a.csv",
        csv_file("T6,C3,1.50,GBP,2024-04-01 00:00:00", "T7,C3,oops,GBP,2024-04-01").encode(),
    )
    summary = run_ingest(spark, lake, request("totals", MAR, APR), now=Clock())
    assert summary["control_totals"] == {"by": "Currency", "sum_of": "TransactionAmount"}
    assert {p["partition"]: p["totals"] for p in summary["partitions"]} == {
        "year=2024/month=03": [
            {"key": "EUR", "rows": 3, "sum": "100000000000010.04"},
            {"key": "USD", "rows": 1, "sum": "7.00"},
        ],
        "year=2024/month=04": [{"key": "GBP", "rows": 1, "sum": "1.50"}],
    }
    assert success(lake, "totals")["partitions"] == summary["partitions"]


def test_a_run_id_is_never_reused(spark, lake):
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/a.csv",
        csv_file("T1,C1,1.00,EUR,2024-03-01 10:00:00").encode(),
    )
    run_ingest(spark, lake, request("once", MAR), now=Clock())
    with pytest.raises(Refused, match="already has output"):
        run_ingest(spark, lake, request("once", MAR), now=Clock())


def test_no_input_files_is_a_clear_failure(spark, lake):
    with pytest.raises(Exception, match=r"no bronze files for transactions in 2024-03\.\.2024-03"):
        run_ingest(spark, lake, request("empty", MAR), now=Clock())


def test_attempts_go_zero_one_two_then_condemned_across_runs(spark, lake):
    bronze = lake["bronze"]
    folder = "transactions/year=2024/month=03/"
    bronze.write_bytes(
        folder + "a.csv",
        csv_file(
            "T1,C1,ten,EUR,2024-03-01 10:00:00", "T2,C2,2.00,EUR,2024-03-01 10:00:00"
        ).encode(),
    )
    clock = Clock()
    run_ingest(spark, lake, request("r1", MAR), now=clock)
    corrections = [
        "T1,C1,10.0.0,EUR,2024-03-01 10:00:00",
        "T1,C1,10.00,eur,2024-03-01 10:00:00",
        "T1,C1,10.00,EUR,2024-13-01 10:00:00",
    ]
    for number, correction in enumerate(corrections, start=2):
        bronze.write_bytes(folder + f"fix-{number}.csv", csv_file(correction).encode())
        run_ingest(spark, lake, request(f"r{number}", MAR), now=clock)

    def failed(bucket_prefix):
        rows = table(lake["quarantine"].root, bucket_prefix).to_pylist()
        return sorted(
            (
                r["source_file"].rsplit("/", 1)[1],
                r["attempt_count"],
                r["error_type"],
                [h["run_id"] for h in r["retry_history"]],
            )
            for r in rows
        )

    assert failed("transactions/quarantine/run_id=r3") == [
        ("a.csv", 0, "TYPE_ERROR", ["r1"]),
        ("fix-2.csv", 1, "TYPE_ERROR", ["r1", "r2"]),
        ("fix-3.csv", 2, "CURRENCY_ERROR", ["r1", "r2", "r3"]),
    ]
    assert failed("transactions/condemned/run_id=r4") == [
        ("fix-4.csv", 3, "TYPE_ERROR", ["r1", "r2", "r3", "r4"])
    ]
    summary = success(lake, "r4")
    assert (summary["quarantined_rows_count"], summary["condemned_rows_count"]) == (3, 1)
    # Over every row processed: attempts 0 + 1 + 2 + 3 of T1 and T2's first, over 5 rows.
    assert summary["avg_attempt_count"] == 1.2
    assert summary["validation_failure_rate"] == 0.8

    # T1 is condemned: a correct re-submission stays condemned, also when the month is
    # read again, until a person releases T1 (SPEC §4).
    bronze.write_bytes(
        folder + "fix-5.csv", csv_file("T1,C1,10.00,EUR,2024-03-01 10:00:00").encode()
    )
    refused = ("fix-5.csv", 4, "CONDEMNED_NOT_RELEASED", ["r1", "r2", "r3", "r4", "r5"])
    for run_id in ("r5", "r6"):
        run_ingest(spark, lake, request(run_id, MAR), now=clock)
        assert refused in failed(f"transactions/condemned/run_id={run_id}")
        assert success(lake, run_id)["error_type_distribution"]["CONDEMNED_NOT_RELEASED"] == 1
    release_condemned(lake, "transactions", ["T1"], "Dana", "source fixed", "test", clock())
    run_ingest(spark, lake, request("r7", MAR), now=clock)
    assert "CONDEMNED_NOT_RELEASED" not in success(lake, "r7")["error_type_distribution"]
    silver = table(lake["silver"].root, layout.run_prefix("transactions", "v1", "r7"))
    assert sorted(silver.column("TransactionID").to_pylist()) == ["T1", "T2"]


def _publish(lake, partitions: dict[str, list[str]]):
    """Stand in for the promoter: a version manifest of the runs' files, and
    _LATEST.json pointing at it."""
    manifest = {
        "partitions": {
            partition: {
                "runs": runs,
                "files": [
                    item.key
                    for run in runs
                    for item in lake["silver"].list(
                        layout.run_prefix("transactions", "v1", run) + partition + "/"
                    )
                    if item.key.endswith(".parquet")
                ],
                "rows": 0,
            }
            for partition, runs in partitions.items()
        }
    }
    lake["silver"].write_bytes(
        "transactions/_versions/v00000001.json", json.dumps(manifest).encode()
    )
    latest = Latest(
        "transactions",
        "v1",
        1,
        partitions,
        "transactions/_versions/v00000001.json",
        "2026-01-21T12:00:00Z",
        "test",
    )
    lake["silver"].write_bytes(layout.latest_key("transactions"), latest.to_json())


def test_duplicates_against_published_data(spark, lake):
    bronze, folder = lake["bronze"], "transactions/year=2024/month=03/"
    bronze.write_bytes(
        folder + "a.csv",
        csv_file(
            "T1,C1,1.00,EUR,2024-03-01 10:00:00", "T2,C2,2.00,EUR,2024-03-02 10:00:00"
        ).encode(),
    )
    clock = Clock()
    run_ingest(spark, lake, request("pub", MAR), now=clock)
    _publish(lake, {"year=2024/month=03": ["pub"]})

    bronze.write_bytes(
        folder + "fix.csv",
        csv_file(
            "T1,C1,1.00,EUR,2024-03-01 10:00:00",  # identical to published
            "T2,C2,2.50,EUR,2024-03-02 10:00:00",  # published id, new content
            "T3,C3,3.00,EUR,2024-03-03 10:00:00",
        ).encode(),  # new
    )
    retry = run_ingest(
        spark,
        lake,
        request("retry", MAR, run_type="retry", input_files=[folder + "fix.csv"]),
        now=clock,
    )
    assert retry["error_type_distribution"] == {"EXACT_DUPLICATE": 1, "BUSINESS_DUPLICATE": 1}
    assert retry["critical_errors"] == {"BUSINESS_DUPLICATE": 1}
    assert retry["valid_rows_count"] == 1

    bronze.write_bytes(
        "transactions/year=2024/month=04/a.csv",
        csv_file("T1,C9,7.00,EUR,2024-04-01 10:00:00").encode(),
    )
    april = run_ingest(spark, lake, request("apr", APR), now=clock)
    assert april["error_type_distribution"] == {"BUSINESS_DUPLICATE": 1}

    # A backfill of March replaces March: its own published rows are not duplicates.
    backfill = run_ingest(spark, lake, request("mar-bf", MAR, run_type="backfill"), now=clock)
    assert backfill["error_type_distribution"] == {"DUPLICATE_IN_BATCH": 1, "EXACT_DUPLICATE": 1}
    assert backfill["valid_rows_count"] == 3


def test_a_retry_run_reads_only_files_of_its_window(spark, lake):
    with pytest.raises(BadArgument, match="names its input files"):
        request("x", MAR, run_type="retry")
    lake["bronze"].write_bytes("transactions/year=2024/month=03/a.csv", csv_file().encode())
    with pytest.raises(BadArgument, match="is not a bronze file"):
        run_ingest(
            spark,
            lake,
            request(
                "x", MAR, run_type="retry", input_files=["transactions/year=2024/month=04/a.csv"]
            ),
        )


def _bad_amount_rows(count: int) -> str:
    return csv_file(
        *[f"B{i},C1,x{i},EUR,2024-03-01 10:00:00" for i in range(count)],
        "T1,C1,1.00,EUR,2024-03-01 10:00:00",
    )


def test_breaker_does_not_trip_at_the_threshold(spark, lake):
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/a.csv", _bad_amount_rows(5).encode()
    )
    summary = run_ingest(spark, lake, request("at", MAR, breaker_threshold=5), now=Clock())
    assert summary["circuit_breaker_triggers"] == 0


def test_breaker_trips_at_threshold_plus_one_and_records_the_halt(spark, lake):
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/a.csv", _bad_amount_rows(6).encode()
    )
    with pytest.raises(CircuitBreakerTripped, match=r"more than 5 rows .* \(TYPE_ERROR 6\)"):
        run_ingest(spark, lake, request("over", MAR, breaker_threshold=5), now=Clock())
    assert not lake["silver"].exists(layout.success_key("transactions", "v1", "over"))
    assert list(lake["silver"].list("transactions/")) == []
    halt = json.loads(lake["quarantine"].read_bytes(layout.halted_key("transactions", "over")))
    assert halt["circuit_breaker_triggers"] == 1
    assert halt["halted"]["tripped"] == {"TYPE_ERROR": 6}
    # No partition written by design: no month is reported missing.
    assert halt["missing_partitions"] is None
    assert table(lake["quarantine"].root, "transactions/quarantine/run_id=over").num_rows == 6


def test_breaker_counts_a_rerun_of_the_same_rows_once(spark, lake):
    """SPEC §5: the same failed line read by two runs within the hour counts once, so a
    rerun of the same input does not halt; new failed lines still add up."""
    folder = "transactions/year=2024/month=03/"
    lake["bronze"].write_bytes(folder + "a.csv", _bad_amount_rows(4).encode())
    clock = Clock()
    run_ingest(spark, lake, request("first", MAR, breaker_threshold=5), now=clock)
    again = run_ingest(spark, lake, request("again", MAR, breaker_threshold=5), now=clock)
    assert again["circuit_breaker_triggers"] == 0  # 4 distinct rows, read twice
    lake["bronze"].write_bytes(
        folder + "b.csv",
        csv_file("Z1,C1,bad,EUR,2024-03-01 10:00:00", "Z2,C1,bad,EUR,2024-03-01 10:00:00").encode(),
    )
    with pytest.raises(CircuitBreakerTripped, match=r"\(TYPE_ERROR 6\)"):
        run_ingest(spark, lake, request("burst", MAR, breaker_threshold=5), now=clock)


def test_breaker_counts_a_halted_runs_rows_within_the_hour(spark, lake):
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=03/a.csv", _bad_amount_rows(6).encode()
    )
    clock = Clock()
    with pytest.raises(CircuitBreakerTripped):
        run_ingest(spark, lake, request("halted", MAR, breaker_threshold=5), now=clock)
    lake["bronze"].write_bytes(
        "transactions/year=2024/month=04/a.csv",
        csv_file("A1,C1,bad,EUR,2024-04-01 10:00:00").encode(),
    )
    # April alone has one failed row; with the halted run's six within the hour: 7.
    with pytest.raises(CircuitBreakerTripped, match=r"\(TYPE_ERROR 7\)"):
        run_ingest(spark, lake, request("april", APR, breaker_threshold=5), now=clock)
    clock.now += timedelta(hours=2)
    later = run_ingest(spark, lake, request("later", APR, breaker_threshold=5), now=clock)
    assert later["circuit_breaker_triggers"] == 0


def test_generated_sample_data_stays_under_the_default_breaker(tmp_path):
    lake = Lake.local(tmp_path)
    expected = generate(
        lake["bronze"], "transactions", [JAN, FEB, MAR, APR], 100, injection=Injection()
    )
    assert max(expected.by_error_type.values()) <= 100
