"""How the approver's and the auditor's pages show things: numbers, times and amounts
for people, and the HTML pieces both pages are made of (tables, bar charts with a text
alternative, the page itself). Plain Python; every value shown passes through here."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

DASH = "–"


# numbers, amounts, times ------------------------------------------------------------
def count(value: int | None) -> str:
    """1234567 -> '1,234,567'; nothing -> a dash."""
    return DASH if value is None else f"{int(value):,}"


def percent(rate: float | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.003321 -> '0.33%'."""
    return DASH if rate is None else f"{rate * 100:.{digits}f}%"


def share(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return DASH
    return percent(part / whole)


def amount(text: str | Decimal | None, signed: bool = False) -> str:
    """An exact decimal with separators: '-1234567.5' -> '-1,234,567.50'. Signed: a plus
    sign on a positive change, and '0.00' for no change."""
    if text is None:
        return DASH
    try:
        value = Decimal(text)
    except InvalidOperation:
        return str(text)
    shown = f"{value:,.2f}"
    return f"+{shown}" if signed and value > 0 else shown


def signed_count(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


def utc(moment: str | None) -> str:
    """An ISO-8601 time as '2026-12-02 18:58:32 UTC' (what every page shows)."""
    if not moment:
        return DASH
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(value: float | None) -> str:
    if value is None:
        return DASH
    minutes, rest = divmod(float(value), 60)
    return f"{int(minutes)} min {rest:.0f} s" if minutes else f"{rest:.1f} s"


def window(value: dict | None) -> str:
    if not value:
        return DASH
    return value["from"] if value["from"] == value["to"] else f"{value['from']} to {value['to']}"


def words(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else DASH


# HTML pieces ------------------------------------------------------------------------
def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool = False
    # Long unbroken text (paths, messages quoting them) may wrap anywhere in this column.
    long_text: bool = False

    @property
    def css(self) -> str:
        names = [n for n, on in (("num", self.numeric), ("long", self.long_text)) if on]
        return f" class='{' '.join(names)}'" if names else ""


def table(
    columns: Sequence[Column | str],
    rows: Iterable[Sequence[object]],
    caption: str = "",
    wrap: bool = False,
    row_classes: Sequence[str] | None = None,
) -> str:
    """A table with a header row; numeric columns right-aligned. `wrap`: a fixed layout
    whose cells wrap long text instead of widening the page."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    head = "".join(f"<th scope='col'{c.css}>{esc(c.title)}</th>" for c in cols)
    body = []
    for i, row in enumerate(rows):
        cls = f" class='{esc(row_classes[i])}'" if row_classes and row_classes[i] else ""
        cells = "".join(
            f"<td data-label='{esc(c.title)}'{c.css}>{esc(v)}</td>"
            for c, v in zip(cols, row, strict=True)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        body.append(f"<tr><td colspan='{len(cols)}' class='none'>none</td></tr>")
    cap = f"<p class='caption'>{esc(caption)}</p>" if caption else ""
    kind = "wrap" if wrap else "fit"
    return (
        f"{cap}<div class='scroll'><table class='{kind}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


@dataclass(frozen=True)
class Series:
    name: str
    color: str


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[float]],
    shown: Sequence[Sequence[str]],
    limit: tuple[float, str] | None = None,
) -> str:
    """Horizontal bars, one group per label and one bar per series, drawn in HTML so
    that they reflow on a narrow screen. `values[i][j]`: label i, series j; `shown` the
    same as text. The chart is an image to assistive technology, with a text
    alternative that lists every value."""
    if not labels:
        return f"<p class='none'>{esc(title)}: nothing to show</p>"
    top = max([v for row in values for v in row] + ([limit[0]] if limit else []) + [1e-12])
    description = "; ".join(
        f"{label}: "
        + ", ".join(
            f"{s.name} {text}" if len(series) > 1 else text
            for s, text in zip(series, shown[i], strict=True)
        )
        for i, label in enumerate(labels)
    )
    if limit:
        description += f"; {limit[1]}"
    legend = ""
    if len(series) > 1:
        legend = (
            "<div class='legend' aria-hidden='true'>"
            + "".join(
                f"<span><i style='background:{s.color}'></i>{esc(s.name)}</span>" for s in series
            )
            + "</div>"
        )
    # Bars use at most 78% of the track, leaving room for the value beside the longest.
    scale = 78 / top
    marker = f"<b class='limit' style='left:{limit[0] * scale:.2f}%'></b>" if limit else ""
    rows = []
    for i, label in enumerate(labels):
        bars = "".join(
            f"<div class='bar'><span style='width:{values[i][j] * scale:.2f}%;"
            f"background:{s.color}'></span><em>{esc(shown[i][j])}</em></div>"
            for j, s in enumerate(series)
        )
        rows.append(f"<div class='label'>{esc(label)}</div><div class='track'>{bars}{marker}</div>")
    note = f"<p class='note'>{esc(limit[1])}</p>" if limit else ""
    return (
        f"<figure class='chart' role='img' aria-label='{esc(title)}: {esc(description)}'>"
        f"<figcaption>{esc(title)}</figcaption>{legend}"
        f"<div class='bars' aria-hidden='true'>{''.join(rows)}</div>{note}</figure>"
    )


STYLE = """
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 1.45em; margin: .4em 0 .2em; overflow-wrap: anywhere; }
h2 { font-size: 1.15em; margin: 1.8em 0 .5em; border-bottom: 1px solid #d0d7de;
  padding-bottom: .2em; }
p { margin: .4em 0; }
.sub { color: #57606a; overflow-wrap: anywhere; }
.verdict { border-radius: 6px; padding: 12px 16px; margin: 12px 0; font-size: 1.1em; }
.verdict.ok { background: #dafbe1; border: 1px solid #4ac26b; }
.verdict.no { background: #ffebe9; border: 1px solid #ff8182; }
.verdict strong { display: block; font-size: 1.15em; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: .3em 0 .8em; }
table.wrap { width: 100%; }
table.wrap td, table.wrap th { overflow-wrap: break-word; }
table.wrap td.long { overflow-wrap: anywhere; min-width: 14em; }
.caption { color: #57606a; }
th, td { border-bottom: 1px solid #d8dee4; padding: 5px 10px; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail td { background: #ffebe9; } tr.pass td:first-child { color: #1a7f37; }
tr.fail td:first-child { color: #b3261e; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .9em; margin: .3em 0 .8em; }
figure.chart { margin: .5em 0 1.2em; max-width: 820px; }
figcaption { font-weight: 600; margin-bottom: .3em; }
.legend span { margin-right: 1.2em; font-size: .9em; }
.legend i { display: inline-block; width: .8em; height: .8em; margin-right: .35em; }
.bars { display: grid; grid-template-columns: minmax(5em, max-content) 1fr; gap: 6px 10px;
  align-items: center; }
.bars .label { font-size: .9em; text-align: right; overflow-wrap: anywhere; }
.track { position: relative; border-left: 1px solid #8c959f; }
.bar { display: flex; align-items: center; height: 16px; margin: 2px 0; }
.bar span { display: block; height: 12px; min-width: 1px; }
.bar em { font-style: normal; font-size: .85em; margin-left: 6px; white-space: nowrap; }
.limit { position: absolute; top: -3px; bottom: -3px; border-left: 2px dashed #b3261e; }
.note { color: #57606a; font-size: .9em; }
.none { color: #57606a; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  main { padding: 10px 12px 32px; }
  th, td { padding: 4px 6px; }
  dl.facts { grid-template-columns: 1fr; gap: 0; } dl.facts dd { margin-bottom: 6px; }
  /* A wide table of long texts becomes one card per row, each value under its name. */
  table.wrap thead { position: absolute; left: -9999px; }
  table.wrap, table.wrap tbody, table.wrap tr, table.wrap td { display: block; width: 100%; }
  table.wrap tr { border-bottom: 2px solid #d0d7de; padding: 4px 0; }
  table.wrap td { border: 0; padding: 1px 0; text-align: left; white-space: normal;
    overflow-wrap: anywhere; }
  table.wrap td::before { content: attr(data-label) ": "; color: #57606a; }
}
"""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def facts(items: Iterable[tuple[str, str]]) -> str:
    return (
        "<dl class='facts'>"
        + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
        + "</dl>"
    )


def text_table(columns: Sequence[Column | str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The same table as plain text lines, columns padded (numbers right-aligned)."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    cells = [[str(v) for v in row] for row in rows]
    widths = [max([len(c.title)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if c.numeric else v.ljust(w)
            for c, v, w in zip(cols, values, widths, strict=True)
        ).rstrip()

    return [line([c.title for c in cols])] + [line(r) for r in cells]
