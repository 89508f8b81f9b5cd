"""bench/RESULTS.md, the file every benchmark appends its table to."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def append_results(text: str) -> None:
    """Append `text`, exactly as given, to bench/RESULTS.md."""
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text)
