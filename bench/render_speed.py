"""Contracts rendered per second: docx (docxtpl) and PDF (LibreOffice, several per
call).

    python bench/render_speed.py [--n 20]

Appends its table to bench/RESULTS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import append_results  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.convert import to_pdf  # noqa: E402
from pipeline.models import Aanvraag  # noqa: E402
from pipeline.region.profile import Mappings, load_mappings  # noqa: E402
from pipeline.stages.decide import Decision  # noqa: E402
from pipeline.stages.render import Renderer, contract_context  # noqa: E402

# the case, day and region of every contract the benchmarks render
CASE: dict[str, Any] = {
    "case_id": "MW-2027-0001",
    "today": date(2027, 1, 4),
    "region_name": "regio ZOU",
}


def contract(
    record: Aanvraag, decision: Decision, mappings: Mappings
) -> dict[str, Any]:
    """The contract's context for the benchmark's case."""
    return contract_context(record=record, decision=decision, mappings=mappings, **CASE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    settings = Settings()
    mappings = load_mappings(settings.region.mappings_dir, "zou")
    record = Aanvraag.model_validate(
        json.loads(
            (ROOT.parent / "shared" / "samples" / "legacy-table.json").read_text()
        )
    )
    renderer = Renderer(settings.region.templates_dir)
    decision = Decision("positief", "akkoord", True, None, None)
    ctx = contract(record, decision, mappings)
    t = time.perf_counter()
    docs = {
        f"contract{i}": renderer.render("maatwerkovereenkomst", ctx)
        for i in range(args.n)
    }
    docx_s = time.perf_counter() - t
    t = time.perf_counter()
    to_pdf({"one": docs["contract0"]})
    one_pdf_s = time.perf_counter() - t
    t = time.perf_counter()
    to_pdf(docs)
    batch_pdf_s = time.perf_counter() - t
    text = (
        f"## render speed — {datetime.now():%Y-%m-%d %H:%M}, {platform.node()},"
        f" {os.cpu_count()} cores\n\n| what | result |\n|---|---:|\n| contracts as docx"
        f" | {args.n / docx_s:.1f} /s |\n| one contract as PDF (LibreOffice start"
        f" included) | {one_pdf_s:.2f} s |\n| {args.n} contracts as PDF in one"
        f" LibreOffice call | {args.n / batch_pdf_s:.1f} /s |\n"
    )
    print(text)
    append_results(text + "\n")


if __name__ == "__main__":
    main()
