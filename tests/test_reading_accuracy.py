"""The reading stage held to its thresholds through `maatwerk bench extract --drempels`
on the public development corpus (forms the code is measured on, never matched to):
digital fields ≥ 99.5 %, scans ≥ 97 %, straight-through ≥ 95 %, silently wrong ≤ 0.2 %,
none failed. (The 13 samples are held to theirs in test_extract: every digital field
right, no scanned field silently wrong.)"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "samples"


@pytest.mark.parametrize("folder", [SHARED / "corpus"], ids=["corpus"])
def test_bench_extract_reaches_every_threshold(folder, tmp_path):
    if not folder.exists():
        pytest.skip(f"{folder} is not beside the project")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "maatwerk",
            "bench",
            "extract",
            str(folder),
            "--drempels",
            "--verschillen",
            str(tmp_path / "verschillen.tsv"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "OMP_THREAD_LIMIT": "1"},
    )
    differences = (tmp_path / "verschillen.tsv").read_text(encoding="utf-8")
    assert run.returncode == 0, (
        run.stdout[-3000:] + run.stderr[-2000:] + differences[:3000]
    )
    assert "Alle drempels gehaald." in run.stdout
    assert (
        "digitaal" in run.stdout and "direct door" in run.stdout
    )  # the table was printed
