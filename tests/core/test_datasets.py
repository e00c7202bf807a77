"""The dataset registry (lakegate/datasets.json): what derives from it, and how a bad
entry is refused (one line naming the dataset and the field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakegate import config, datasets, schema_versions
from lakegate.datasets import DatasetDefinitionError
from lakegate.errors import BadArgument


def _registry() -> dict:
    return json.loads(datasets.DEFINITIONS.read_text())


def _load(tmp_path: Path, change) -> None:
    body = _registry()
    change(body)
    path = tmp_path / "datasets.json"
    path.write_text(json.dumps(body))
    datasets.load(path)


def test_the_schema_versions_are_the_registered_columns_up_to_each_version():
    transactions = datasets.dataset("transactions")
    v1 = (
        ("TransactionID", "string"),
        ("CustomerID", "string"),
        ("TransactionAmount", "decimal(18,2)"),
        ("Currency", "string"),
        ("TransactionTimestamp", "timestamp"),
    )
    versions, required = schema_versions.SCHEMA_VERSIONS, schema_versions.REQUIRED_COLUMNS
    assert versions == {"v1": v1, "v2": (*v1, ("Channel", "string"))}
    assert required == tuple(n for n, _ in v1)
    assert [c.name for c in transactions.published_columns("v1")] == [
        *(n for n, _ in v1),
        "source_file",
        "source_line",
        "row_hash",
        "run_id",
    ]
    assert transactions.key == ("TransactionID",)


def test_the_settings_come_from_the_registry():
    transactions = config.dataset_config("transactions")
    assert transactions.currencies == ("EUR", "USD", "GBP", "CHF", "JPY")
    assert transactions.gold_dataset == config.GOLD_DATASET == "account_balances"
    assert transactions.known_schema_versions == ("v1", "v2")
    assert (transactions.breaker_threshold, transactions.lookback_months) == (100, 3)
    gold = config.dataset_config(config.GOLD_DATASET)
    assert gold.bucket == "gold" and gold.control_totals == ("Currency", "balance")
    assert config.dataset_config("transactions", breaker_threshold=5).breaker_threshold == 5


def test_an_unregistered_dataset_is_refused_naming_the_registered_ones():
    with pytest.raises(BadArgument, match=r"'fx_quotes' is not registered .*account_balances"):
        config.dataset_config("fx_quotes")
    with pytest.raises(BadArgument):
        datasets.dataset("../transactions")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b["datasets"]["transactions"]["columns"][2].update(type="money"),
            r"dataset transactions: column TransactionAmount has type 'money'",
        ),
        (
            lambda b: b["datasets"]["transactions"]["columns"].insert(
                0, {"name": "Late", "type": "string", "since": "v2"}
            ),
            r"dataset transactions: columns of a later schema version must come after",
        ),
        (
            lambda b: b["datasets"]["transactions"]["columns"][5].update(since="v3"),
            r"dataset transactions: column Channel is since an unknown version",
        ),
        (
            lambda b: b["datasets"]["transactions"].update(key=["Channel"]),
            r"dataset transactions: key \['Channel'\] must name columns of schema v1",
        ),
        (
            lambda b: b["datasets"]["transactions"]["columns"].append(
                {"name": "Currency", "type": "string", "since": "v2"}
            ),
            r"dataset transactions: columns \['Currency'\] repeated",
        ),
        (
            lambda b: b["datasets"]["transactions"]["settings"].update(currency=["EUR"]),
            r"dataset transactions: unknown settings \['currency'\]",
        ),
        (
            lambda b: b["datasets"]["transactions"].update(schema_v="v3"),
            r"dataset transactions: schema_v 'v3' is not one of its schema_versions",
        ),
        (
            lambda b: b["datasets"]["transactions"].update(gold="transactions"),
            r"dataset transactions: gold 'transactions' must be a gold dataset",
        ),
        (
            lambda b: (
                b["datasets"]["account_balances"].pop("source"),
                b["datasets"]["transactions"].pop("gold"),
            ),
            r"dataset account_balances: gold without a source",
        ),
        (
            lambda b: b["datasets"]["transactions"]["columns"].append(
                {"name": "run_id", "type": "string", "since": "v2"}
            ),
            r"dataset transactions: a column has the name of a lineage column",
        ),
        (
            lambda b: b["datasets"]["transactions"]["columns"][3].update(allowed="countries"),
            r"dataset transactions: column Currency is allowed 'countries', not one of",
        ),
        (
            lambda b: b["datasets"]["transactions"].update(month_of="Currency"),
            r"dataset transactions: month_of 'Currency' must name a timestamp or date column",
        ),
        (
            lambda b: b["datasets"]["fx_rates"].update(key=["date", "rate"]),
            r"dataset fx_rates: key \['date', 'rate'\]: a key column is a string or a date",
        ),
        (
            lambda b: b["datasets"]["fx_rates"]["columns"][2].update(differs_from="quote"),
            r"dataset fx_rates: column quote differs_from 'quote': both must be other columns",
        ),
        (
            lambda b: b["datasets"]["fx_rates"]["columns"][4].update(positive=True),
            r"dataset fx_rates: column source is positive but not a decimal",
        ),
    ],
)
def test_a_bad_entry_is_refused_naming_the_dataset_and_field(tmp_path, change, message):
    with pytest.raises(DatasetDefinitionError, match=message) as refused:
        _load(tmp_path, change)
    assert "\n" not in str(refused.value)


def test_the_registry_as_shipped_loads():
    lineage, found = datasets.load()
    assert set(found) == {"transactions", "account_balances", "fx_rates"}
    assert [c.name for c in lineage] == ["source_file", "source_line", "row_hash", "run_id"]
    assert found["transactions"].ingested and not found["account_balances"].ingested


def test_the_value_rules_follow_the_registry_in_the_documented_order():
    """docs/validation.md rules 1-6 for transactions, built from its registry entry
    (no SparkSession is needed until a rule's column is built)."""
    from glue_jobs.rules import value_rules

    rules = value_rules(config.dataset_config("transactions", currencies=("EUR", "USD")))
    assert [(r.name, r.error_type) for r in rules] == [
        ("well_formed_line", "MALFORMED_ROW"),
        ("TransactionID_required", "NULL_VALUE_ERROR"),
        ("CustomerID_required", "NULL_VALUE_ERROR"),
        ("TransactionAmount_required", "NULL_VALUE_ERROR"),
        ("Currency_required", "NULL_VALUE_ERROR"),
        ("TransactionTimestamp_required", "NULL_VALUE_ERROR"),
        ("TransactionAmount_is_decimal", "TYPE_ERROR"),
        ("TransactionTimestamp_is_timestamp", "TYPE_ERROR"),
        ("Currency_allowed", "CURRENCY_ERROR"),
        ("in_bronze_month", "PARTITION_MISMATCH"),
    ]


def test_the_fx_rates_rules_follow_its_registry_entry():
    """The second dataset's rules: the same kinds, from its own columns."""
    from glue_jobs.rules import value_rules

    fx = datasets.dataset("fx_rates")
    assert (fx.key, fx.key_label) == (("date", "base", "quote"), "key (date, base, quote)")
    rules = value_rules(config.dataset_config("fx_rates"))
    assert [(r.name, r.error_type) for r in rules] == [
        ("well_formed_line", "MALFORMED_ROW"),
        ("date_required", "NULL_VALUE_ERROR"),
        ("base_required", "NULL_VALUE_ERROR"),
        ("quote_required", "NULL_VALUE_ERROR"),
        ("rate_required", "NULL_VALUE_ERROR"),
        ("source_required", "NULL_VALUE_ERROR"),
        ("date_is_date", "TYPE_ERROR"),
        ("rate_is_decimal", "TYPE_ERROR"),
        ("base_allowed", "CURRENCY_ERROR"),
        ("quote_allowed", "CURRENCY_ERROR"),
        ("quote_differs_from_base", "CURRENCY_ERROR"),
        ("in_bronze_month", "PARTITION_MISMATCH"),
    ]


def test_the_key_value_escapes_its_separator():
    fx = datasets.dataset("fx_rates")
    assert fx.key_value([" 2024-03-01", "EUR ", "USD"]) == "2024-03-01|EUR|USD"
    assert fx.key_value(["a|b", "c", "d"]) == "a\\|b|c|d"
    assert fx.key_value(["a", "b|c", "d"]) == "a|b\\|c|d"
    assert fx.key_value(["a\\", "|", "d"]) == "a\\\\|\\||d"
    assert fx.key_value(["2024-03-01", " ", "USD"]) is None
    assert datasets.dataset("transactions").key_value([" T|1 "]) == "T|1"
