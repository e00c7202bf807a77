"""A dataset's business key in Spark: the value duplicates, attempts and release locks
are judged by. The same value as lakegate.datasets.Dataset.key_value (a test proves
them equal): a one-column key is its trimmed text; a key of several columns is their
trimmed texts joined by `|`, each `|` and `\\` inside escaped by `\\`. Null when a part
is empty: an empty key identifies nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from glue_jobs import rules as R
from glue_jobs.parsing import trimmed
from lakegate.datasets import KEY_SEPARATOR, Dataset


def _escaped(part: Column) -> Column:
    """`\\` and `|` escaped by `\\` (plain replacements: regular expressions here made
    the lookups' generated code too deep to compile)."""
    doubled = F.replace(part, F.lit("\\"), F.lit("\\\\"))
    return F.replace(doubled, F.lit("|"), F.lit("\\|"))


def joined(parts: list[Column]) -> Column:
    """The key of already trimmed parts (null if one is null or empty)."""
    values = [F.when(p != "", p) for p in parts]
    if len(values) == 1:
        return values[0]
    pieces: list[Column] = []
    for i, value in enumerate(values):
        pieces.extend([F.lit(KEY_SEPARATOR)] if i else [])
        pieces.append(_escaped(value))
    return F.concat(*pieces)  # null when any part is


@dataclass(frozen=True)
class Key:
    dataset: Dataset

    @property
    def label(self) -> str:
        """How messages name the key (Dataset.key_label)."""
        return self.dataset.key_label

    def of_validated(self) -> Column:
        """On validate()'s frame: from the trimmed values the rules read."""
        return joined([F.col(R.value(c)) for c in self.dataset.key])

    def of_published(self) -> Column:
        """On published silver: from the typed columns (a date reads as yyyy-MM-dd, the
        one form the date rule accepts, so the text is the same)."""
        return joined([F.col(c).cast("string") for c in self.dataset.key])

    def of_received(self) -> Column:
        """On quarantine and condemned rows: from the values as received."""
        return joined([trimmed(F.col(c)) for c in self.dataset.key])
