"""From bronze files to one row per data line, with its fields: native expressions only.

A bronze file arrives as one row (Spark's text source, whole-file), so every line keeps
its exact line number and its file's header. A record is one physical line (SPEC §3:
input_rows counts every data line; the header and blank lines excluded). Fields follow
RFC 4180 within the line: quoted fields may hold commas and doubled quotes. A line
with broken quoting, the wrong number of fields, or bytes that were not UTF-8 is kept
whole as a malformed row.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakegate.datasets import KEY_WHITESPACE

# A field is quoted ("a ""b"", c") or unquoted (no comma, no quote). Possessive
# quantifiers keep Java's regex engine from recursing on long fields.
_QUOTED = '"(?:[^"]++|"")*+"'
_UNQUOTED = '[^,"]*+'
_FIELD = f"(?:{_QUOTED}|{_UNQUOTED})"
WELL_FORMED_LINE = f"^{_FIELD}(?:,{_FIELD})*+$"
FIELD_PATTERN = f"(?:^|,)({_FIELD})"
# The bronze key <dataset>/year=YYYY/month=MM/<file> at the end of the file's URI.
SOURCE_KEY_PATTERN = r"([^/]+/year=([0-9]{4})/month=([0-9]{2})/[^/]+)$"
WHITESPACE = KEY_WHITESPACE
REPLACEMENT_CHAR = "\ufffd"


def trimmed(column: Column) -> Column:
    """Surrounding whitespace removed (spaces, tabs and other ASCII white space)."""
    return F.btrim(column, F.lit(WHITESPACE))


def is_blank(line: Column) -> Column:
    """Empty or only whitespace: nothing is left once the left side is trimmed. (A
    two-sided trim also trims the right side, which with a character set walks and
    indexes every character of the line: a quarter of splitting lines into fields.)"""
    # SQL's two-argument ltrim takes the characters first, then the string.
    return F.octet_length(F.call_function("ltrim", F.lit(WHITESPACE), line)) == 0


def without_cr(line: Column) -> Column:
    """The line without the carriage return of a CRLF ending, cut byte-wise: a string's
    length and substring count its characters, twice over a line (no regex: per line)."""
    cut = line.cast("binary").substr(F.lit(1), F.octet_length(line) - 1).cast("string")
    return F.when(line.endswith("\r"), cut).otherwise(line)


def _unquote(field: Column) -> Column:
    inner = F.regexp_replace(field.substr(F.lit(2), F.length(field) - 2), '""', '"')
    return F.when(field.startswith('"'), inner).otherwise(field)


def split_fields(line: Column) -> Column:
    """The line's fields as an array of strings, quotes still on: field() removes them
    from the fields that are used (no per-line lambda, which Spark cannot compile into
    the stage's code). Lines without a quote take the fast path (a plain split)."""
    quoted = F.regexp_extract_all(line, F.lit(FIELD_PATTERN), F.lit(1))
    return F.when(line.contains('"'), quoted).otherwise(F.split(line, ",", -1))


def field(fields: Column, position: Column | int) -> Column:
    """The field at a 1-based position of split_fields(), unquoted (null past the end)."""
    return _unquote(
        F.try_element_at(fields, F.lit(position) if isinstance(position, int) else position)
    )


def malformed_reason(line: Column, fields: Column, expected: Column | int) -> Column:
    """Why the line cannot be read as a record, or null when it can."""
    return (
        F.when(line.contains(REPLACEMENT_CHAR), F.lit("bytes that are not valid UTF-8"))
        .when(
            line.contains('"') & ~line.rlike(WELL_FORMED_LINE),
            F.lit("broken quoting"),
        )
        .when(
            F.size(fields) != expected,
            F.format_string("%d fields, expected %d", F.size(fields), F.lit(expected)),
        )
    )


def bronze_lines(files: DataFrame, columns: tuple[str, ...]) -> DataFrame:
    """Whole-file rows (uri, value) -> one row per non-blank data line.

    Columns: source_file (bronze key), source_line (1-based physical line), year, month
    (the bronze folder's month), line, malformed (reason or null), and `columns` as
    received (untrimmed strings, null for a malformed line). A line must have as many
    fields as its file's header; a column the header lacks (an older schema version's
    file) is null.
    """
    keyed = files.select(
        F.regexp_extract("uri", SOURCE_KEY_PATTERN, 1).alias("source_file"),
        F.regexp_extract("uri", SOURCE_KEY_PATTERN, 2).alias("year"),
        F.regexp_extract("uri", SOURCE_KEY_PATTERN, 3).alias("month"),
        F.split("value", "\n", -1).alias("lines"),
    )
    # The BOM is removed from the header line only: a regex over the whole file would
    # copy it several times over.
    first_line = F.regexp_replace(F.element_at("lines", 1), "^\ufeff|\r$", "")
    header = F.transform(split_fields(first_line), lambda name: trimmed(_unquote(name)))
    # The header's positions are computed once per file, before the explode: computed
    # beside posexplode they would be evaluated, and the whole file's array copied, for
    # every line (quadratic in the file's size).
    per_file = keyed.select(
        "source_file",
        "year",
        "month",
        "lines",
        *[F.array_position(header, name).cast("int").alias(f"_pos_{name}") for name in columns],
        F.size(header).alias("_header_size"),
    )
    exploded = per_file.select(
        "source_file",
        "year",
        "month",
        *[f"_pos_{name}" for name in columns],
        "_header_size",
        # _outer: Spark would otherwise add a filter that splits every file a second
        # time (size(lines) > 0); an empty file still gives no data line (_index null).
        F.posexplode_outer("lines").alias("_index", "_text"),
    )
    lines = (
        exploded.where(F.col("_index") > 0)
        .select("*", without_cr(F.col("_text")).alias("line"))
        .where(~is_blank(F.col("line")))
    )
    fields = lines.select("*", split_fields(F.col("line")).alias("_fields"))
    with_fields = fields.select(
        "*",
        malformed_reason(F.col("line"), F.col("_fields"), F.col("_header_size")).alias("malformed"),
    )
    ok = F.col("malformed").isNull()
    return with_fields.select(
        "source_file",
        (F.col("_index") + 1).cast("int").alias("source_line"),
        "year",
        "month",
        "line",
        "malformed",
        *[
            F.when(
                ok & (F.col(f"_pos_{name}") > 0), field(F.col("_fields"), F.col(f"_pos_{name}"))
            ).alias(name)
            for name in columns
        ],
    )
