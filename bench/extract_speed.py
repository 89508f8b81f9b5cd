"""Extraction speed per layout next to the floor (opening and reading the same file with
python-docx or pdfplumber alone); OCR seconds per scanned page.

    python bench/extract_speed.py [SAMPLES_DIR] [--repeat N]

Targets (issue 3): ≤ 1.5× the floor for digital forms; ≤ 4 s per scanned page on one
core. Appends its table to bench/RESULTS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import append_results  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.region.profile import load_mappings  # noqa: E402
from pipeline.stages.extract import extract_bytes  # noqa: E402


def floor(content: bytes) -> None:
    """What any reader must do: open the file and read all its text."""
    if content[:5] == b"%PDF-":
        import pdfplumber

        with pdfplumber.open(io.BytesIO(content)) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.find_tables()
    else:
        from docx import Document

        doc = Document(io.BytesIO(content))
        [p.text for p in doc.paragraphs]
        [c.text for t in doc.tables for r in t.rows for c in r.cells]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "samples", nargs="?", default=str(ROOT.parent / "shared" / "samples")
    )
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    rows = []
    for path in sorted(Path(args.samples).iterdir()):
        if (
            path.suffix not in (".docx", ".pdf")
            or not path.with_suffix(".json").exists()
        ):
            continue
        content = path.read_bytes()
        layout = extract_bytes(content, mappings).layout
        repeat = 2 if layout == "scan-pdf" else args.repeat
        ours = timed(lambda content=content: extract_bytes(content, mappings), repeat)
        base = timed(lambda content=content: floor(content), repeat)
        if layout == "scan-pdf":  # OCR has no floor to compare with: seconds per page
            import pypdfium2

            pages = len(pypdfium2.PdfDocument(content))
            verdict = f"{pct(ours, 0.5) / pages:.2f} s/page"
        else:
            verdict = f"{pct(ours, 0.5) / pct(base, 0.5):.2f}×"
        rows.append(
            (
                path.name,
                layout,
                pct(ours, 0.5) * 1000,
                pct(ours, 0.95) * 1000,
                pct(base, 0.5) * 1000,
                verdict,
            )
        )
    lines = [
        (
            f"## extract speed — {datetime.now():%Y-%m-%d %H:%M}, {platform.node()},"
            f" {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "",
        "| file | layout | p50 ms | p95 ms | floor p50 ms | ratio to floor / OCR |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {n} | {lay} | {a:.1f} | {b:.1f} | {c:.1f} | {r} |"
        for n, lay, a, b, c, r in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    append_results(text + "\n")


if __name__ == "__main__":
    main()
