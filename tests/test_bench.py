"""`python -m bench --quick` runs on this machine with its own inputs and reports every
section (a smoke test of the benchmark; the numbers themselves are judged in
bench/RESULTS.md).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_reports_every_section(tmp_path):
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_text(encoding="utf-8") if results.exists() else ""
    try:
        run = subprocess.run(
            [sys.executable, "-m", "bench", "--quick"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        for section in (
            "extract legacy-docx",
            "extract scan-pdf",
            "s/page",
            "backlog 100 forms, Maildir",
            "backlog 100 forms, IMAP/SMTP",
            "peak RSS",
            "latency, IMAP IDLE push",
            "contracts as PDF",
        ):
            assert section in run.stdout, section
    finally:  # a test run does not add to the recorded results
        results.write_text(before, encoding="utf-8")


def test_small_soak_with_two_workers_counts_everything(tmp_path):
    """`python -m bench.soak` at CI size: two workers, PostgreSQL, Dovecot; it exits
    non-zero when a mail is lost or doubled or memory grows."""
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_text(encoding="utf-8") if results.exists() else ""
    try:
        run = subprocess.run(
            [sys.executable, "-m", "bench.soak", "--mails", "60"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        assert "| soak 60 mails, 2 workers, IMAP + PostgreSQL |" in run.stdout
        assert "0 lost, 0 duplicated | 0 lost" in run.stdout
    finally:
        results.write_text(before, encoding="utf-8")
