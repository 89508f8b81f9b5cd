"""Scanned forms read per page (pipeline/readers/scan.py): the target is ≤ 4 s per page.

    python bench/scan_speed.py [--repeat 1]

Reads every scan of the sample corpus (image-only PDFs) and prints seconds per page.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from pipeline.readers import scan  # noqa: E402
from pipeline.region.profile import load_mappings  # noqa: E402

CORPUS = ROOT.parent / "shared" / "samples" / "corpus"
TARGET = 4.0  # s per page


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    import pypdfium2 as pdfium

    labels = load_mappings(ROOT / "mappings", "zou").labels
    with open(CORPUS / "INDEX.csv", newline="") as f:
        scans = [
            CORPUS / row["file"]
            for row in csv.DictReader(f)
            if row["kind"] == "scan-pdf"
        ]
    total_s = total_pages = 0.0
    print(f"{'file':12} {'pages':>5} {'s/page':>7}")
    for path in scans:
        content = path.read_bytes()
        pages = len(pdfium.PdfDocument(content))
        t = time.perf_counter()
        for _ in range(args.repeat):
            scan.read(content, labels)
        seconds = (time.perf_counter() - t) / args.repeat
        total_s, total_pages = total_s + seconds, total_pages + pages
        print(f"{path.name:12} {pages:5} {seconds / pages:7.2f}")
    per_page = total_s / total_pages
    print(
        f"{'all':12} {int(total_pages):5} {per_page:7.2f}  (target ≤ {TARGET} s/page: "
        f"{'ok' if per_page <= TARGET else 'TOO SLOW'}, {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
