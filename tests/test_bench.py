"""`python -m bench --quick` runs on this machine with its own inputs and reports every section
(a smoke test of the benchmark; the numbers themselves are judged in bench/RESULTS.md)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_reports_every_section(tmp_path):
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_text(encoding="utf-8") if results.exists() else ""
    try:
        run = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        for section in ("extract legacy-docx", "extract scan-pdf", "s/page", "backlog 100 forms, Maildir",
                        "backlog 100 forms, IMAP/SMTP", "peak RSS", "latency, IMAP IDLE push", "contracts as PDF"):
            assert section in run.stdout, section
    finally:  # a test run does not add to the recorded results
        results.write_text(before, encoding="utf-8")
