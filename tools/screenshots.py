"""The screenshots of docs/promotion.md, taken from the pages `make demo` wrote.

    python -m tools.screenshots --lake lake [--out docs/images]

Takes the review page of the demo's backfill (a month published now and after) and
the audit page, each at a desktop's width (1280 px) and a phone's (390 px), in headless
Chromium. Fails when a page is wider than the screen it is shown on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.browser import Browser

WIDTHS = (1280, 390)


def demo_pages(lake: Path) -> dict[str, Path]:
    reviews = sorted(lake.glob("review-*_BACKFILL.html"))
    audit = lake / "audit-transactions.html"
    if not reviews or not audit.exists():
        raise SystemExit(f"screenshots: no demo pages in {lake}: run `make demo LAKE={lake}`")
    return {"review": reviews[-1], "audit": audit}


def take(pages: dict[str, Path], out: Path) -> list[Path]:
    shots = []
    with Browser() as browser:
        for name, page in pages.items():
            for width in WIDTHS:
                opened = browser.open(page, width)
                if opened.overflow():
                    raise SystemExit(f"screenshots: {page} is wider than {width} px")
                shots.append(opened.screenshot(out / f"{name}-{width}.png"))
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="screenshots", description=__doc__)
    parser.add_argument("--lake", type=Path, default=Path("lake"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    for shot in take(demo_pages(args.lake), args.out):
        print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
