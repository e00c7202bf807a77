"""Seeded generator of realistic bronze transaction files with known error counts.

Used by `make demo`, the end-to-end tests and the benchmark. The expected outcome of
every injected row is recorded as the file is generated, so the job's counts can be
checked against an account that does not come from the job.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lakegate import layout
from lakegate.bronze import INPUT_COLUMNS
from lakegate.ids import Month
from lakegate.storage import Storage

CURRENCY_WEIGHTS = {"EUR": 50, "USD": 25, "GBP": 12, "CHF": 8, "JPY": 5}
HEADER_ORDERS = (
    INPUT_COLUMNS,
    ("CustomerID", "TransactionID", "TransactionTimestamp", "TransactionAmount", "Currency"),
)


@dataclass
class Injection:
    """Bad rows injected per month, by kind (each kind maps to one error class)."""

    malformed: int = 3
    null_value: int = 4
    bad_amount: int = 3
    bad_timestamp: int = 3
    bad_currency: int = 3
    partition_mismatch: int = 2
    exact_duplicate: int = 2
    duplicate_in_batch: int = 2


@dataclass
class Expected:
    input_rows: int = 0
    valid: int = 0
    valid_by_partition: Counter = field(default_factory=Counter)
    by_error_type: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(n for t, n in self.by_error_type.items() if t != "EXACT_DUPLICATE")

    @property
    def condemned(self) -> int:
        return self.by_error_type["EXACT_DUPLICATE"]


def _timestamp_text(rng: random.Random, instant: datetime) -> str:
    style = rng.randrange(4)
    if style == 0:
        return instant.strftime("%Y-%m-%d %H:%M:%S")
    if style == 1:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    offset = timedelta(hours=rng.choice((-5, 1, 2, 5)), minutes=rng.choice((0, 30)))
    local = instant + offset
    sign = "+" if offset >= timedelta(0) else "-"
    total = abs(int(offset.total_seconds())) // 60
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{total // 60:02d}:{total % 60:02d}"


def _instant_in(rng: random.Random, month: Month) -> datetime:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.plus(1).year, month.plus(1).month, 1, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def _amount(rng: random.Random) -> str:
    cents = rng.randrange(1, 500_000)
    sign = "-" if rng.random() < 0.35 else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _csv(values: dict[str, str], order: tuple[str, ...]) -> str:
    def cell(text: str) -> str:
        return f'"{text.replace(chr(34), chr(34) * 2)}"' if ("," in text or '"' in text) else text

    return ",".join(cell(values[name]) for name in order)


def month_rows(rng: random.Random, month: Month, rows: int, customers: int) -> list[dict]:
    tag = f"{month.year:04d}{month.month:02d}"
    return [
        {
            "TransactionID": f"TX{tag}{i:08d}",
            "CustomerID": f"C{rng.randrange(customers):05d}",
            "TransactionAmount": _amount(rng),
            "Currency": rng.choices(list(CURRENCY_WEIGHTS), list(CURRENCY_WEIGHTS.values()))[0],
            "TransactionTimestamp": _timestamp_text(rng, _instant_in(rng, month)),
        }
        for i in range(rows)
    ]


def generate(
    storage: Storage,
    dataset: str,
    months: list[Month],
    rows_per_month: int,
    seed: int = 7,
    files_per_month: int = 2,
    injection: Injection | None = None,
    customers: int = 500,
) -> Expected:
    """Write bronze files for each month and return the outcome they must produce."""
    rng = random.Random(seed)
    injection = injection or Injection()
    expected = Expected()
    for month in months:
        base = month_rows(rng, month, rows_per_month, customers)
        chunks = [base[i::files_per_month] for i in range(files_per_month)]
        tag = f"{month.year:04d}{month.month:02d}"
        bad: list[tuple[str | dict[str, str], str]] = []  # (line or values, error type)
        serial = iter(range(10**7))

        def fresh(base=base, tag=tag, serial=serial, **changes: str) -> dict:
            """A copy of a good row under a new TransactionID, with `changes` applied."""
            row = dict(rng.choice(base))
            row["TransactionID"] = f"BX{tag}{next(serial):06d}"
            row.update(changes)
            return row

        for _ in range(injection.malformed):
            row = fresh()
            if rng.random() < 0.5:
                line = _csv(row, INPUT_COLUMNS) + ",EXTRA"
            else:
                line = f'{row["TransactionID"]},"{row["CustomerID"]},{row["TransactionAmount"]}'
            bad.append((line, "MALFORMED_ROW"))
        for i in range(injection.null_value):
            bad.append((fresh(**{INPUT_COLUMNS[1 + i % 4]: " "}), "NULL_VALUE_ERROR"))
        for _ in range(injection.bad_amount):
            bad.append(
                (
                    fresh(TransactionAmount=rng.choice(["1,000.00", "12.345", "1e5", "NaN"])),
                    "TYPE_ERROR",
                )
            )
        for _ in range(injection.bad_timestamp):
            text = rng.choice(
                [
                    f"{month.year}-{month.month:02d}-32 10:00:00",
                    "05/03/2024 10:00",
                    f"{month.year}-{month.month:02d}-01 25:00:00",
                ]
            )
            bad.append((fresh(TransactionTimestamp=text), "TYPE_ERROR"))
        for _ in range(injection.bad_currency):
            bad.append((fresh(Currency=rng.choice(["eur", "BTC", "XXX"])), "CURRENCY_ERROR"))
        for _ in range(injection.partition_mismatch):
            other = _instant_in(rng, month.plus(1))
            bad.append(
                (
                    fresh(TransactionTimestamp=other.strftime("%Y-%m-%d %H:%M:%S")),
                    "PARTITION_MISMATCH",
                )
            )
        originals = rng.sample(chunks[0], injection.exact_duplicate + injection.duplicate_in_batch)
        for row in originals[: injection.exact_duplicate]:
            bad.append((dict(row), "EXACT_DUPLICATE"))
        for row in originals[injection.exact_duplicate :]:
            changed = dict(row, TransactionAmount=_amount(rng))
            if changed["TransactionAmount"] == row["TransactionAmount"]:
                changed["TransactionAmount"] = (
                    "0.01" if row["TransactionAmount"] != "0.01" else "0.02"
                )
            bad.append((changed, "DUPLICATE_IN_BATCH"))

        # Injected rows go to the last file, so every duplicate comes after its original.
        for index, chunk in enumerate(chunks):
            order = HEADER_ORDERS[index % len(HEADER_ORDERS)]
            items: list[tuple[str, str | None]] = [(_csv(r, order), None) for r in chunk]
            if index == files_per_month - 1:
                items += [(x if isinstance(x, str) else _csv(x, order), t) for x, t in bad]
                rng.shuffle(items)
                items.insert(len(items) // 2, ("", None))  # a blank line: not a record
            newline = "\r\n" if index % 2 else "\n"
            text = newline.join([",".join(order)] + [line for line, _ in items]) + newline
            key = f"{layout.bronze_month_prefix(dataset, month)}part-{index + 1:03d}.csv"
            storage.write_bytes(key, text.encode("utf-8"))
            expected.files.append(key)
            for line, error_type in items:
                if not line:
                    continue
                expected.input_rows += 1
                if error_type is None:
                    expected.valid += 1
                    expected.valid_by_partition[month.partition] += 1
                else:
                    expected.by_error_type[error_type] += 1
    return expected
