"""One benchmark command: what the pipeline costs, against the floor.

    python -m bench            # the full run (under 10 minutes on 2 cores)
    python -m bench --quick    # CI-sized

It makes its own inputs (bench/inputs.py), runs real parts (LibreOffice, tesseract,
Dovecot and SMTP on loopback, as installed by scripts/setup-system), prints one table
and appends it, with date and machine, to bench/RESULTS.md. Targets: backlog of 1,000
forms ≤ 60 s, push latency p95 ≤ 3 s, peak RSS during the backlog ≤ 300 MB, digital
extraction ≤ 1.5× the floor, OCR ≤ 4 s per page.
"""

from __future__ import annotations

import argparse
import mailbox as stdlib_mailbox
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench import inputs  # noqa: E402
from bench.extract_speed import floor, pct, timed  # noqa: E402
from bench.results import append_results  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.region.profile import load_mappings  # noqa: E402
from pipeline.stages.extract import extract_bytes  # noqa: E402
from tests.mailserver import ChildMailServer  # noqa: E402

INKOOP = "inkoop@zorginzou.nl"
ADVISERS = ["p.smit@zeist.nl", "icm@zorginzou.nl"]


# --- sections
# ------------------------------------------------------------------------------------


def extraction(repeat: int) -> list[list[str]]:
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    legacy = inputs.legacy_docx(1)
    word_pdf = inputs.word_as_pdf(legacy)
    forms = {
        "legacy-docx": legacy,
        "template-docx": inputs.template_docx(1),
        "acroform-pdf": inputs.acroform_pdf(1),
        "legacy-pdf": word_pdf,
        "scan-pdf": inputs.scan(word_pdf),
    }
    rows = []
    for layout, content in forms.items():
        n = 1 if layout == "scan-pdf" else repeat
        ours = timed(lambda content=content: extract_bytes(content, mappings), n)
        if layout == "scan-pdf":
            import pypdfium2

            pages = len(pypdfium2.PdfDocument(content))
            rows.append(
                [
                    f"extract {layout}",
                    f"{pct(ours, 0.5) * 1000:.0f} ms",
                    f"{pct(ours, 0.95) * 1000:.0f} ms",
                    f"{pct(ours, 0.5) / pages:.2f} s/page",
                    "≤ 4 s/page",
                ]
            )
            continue
        base = timed(lambda content=content: floor(content), n)
        rows.append(
            [
                f"extract {layout}",
                f"{pct(ours, 0.5) * 1000:.1f} ms",
                f"{pct(ours, 0.95) * 1000:.1f} ms",
                (
                    f"{pct(ours, 0.5) / pct(base, 0.5):.2f}× floor"
                    f" ({pct(base, 0.5) * 1000:.1f} ms)"
                ),
                "≤ 1.5×",
            ]
        )
    return rows


def _settings(tmp: str, **extra) -> dict:
    return {
        "store": {"url": f"sqlite:///{tmp}/m.db"},
        "mailbox": {"maildir_root": f"{tmp}/mail", **extra.pop("mailbox", {})},
        "drop": {"path": f"{tmp}/drop"},
        "register": {"path": f"{tmp}/register"},
        **extra,
    }


def _run_backlog(settings: dict) -> dict:
    """The backlog is handled in a child process: its peak RSS is the pipeline's own."""
    import json
    import subprocess

    run = subprocess.run(
        [sys.executable, "-m", "bench.backlog", json.dumps(settings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=os.environ,
    )
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def backlog_maildir(forms: list[bytes]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        from pipeline.mail import MaildirPostOffice

        box = MaildirPostOffice(Path(tmp) / "mail").maildir(INKOOP)
        for i, form in enumerate(forms):
            box.add(inputs.mail(form, i))
        result = _run_backlog(_settings(tmp))
        assert result["cases"] == len(forms), (
            f"{result['cases']} cases for {len(forms)} forms"
        )
        asked = sum(
            len(stdlib_mailbox.Maildir(Path(tmp) / "mail" / a, create=False))
            for a in ADVISERS
        )
        assert asked == 2 * len(forms), f"{asked} advice mails for {len(forms)} forms"
    return [
        f"backlog {len(forms)} forms, Maildir",
        f"{result['seconds']:.1f} s",
        f"{len(forms) / result['seconds']:.1f} forms/s",
        f"peak RSS {result['peak_mb']:.0f} MB",
        "≤ 60 s / 1,000; ≤ 300 MB",
    ]


def backlog_imap(forms: list[bytes]) -> list[str]:
    from tests import mailserver

    os.environ["MAATWERK_IMAP_PASSWORD"] = mailserver.PASSWORD
    srv = ChildMailServer([INKOOP, *ADVISERS, "s.devries@zeist.nl"])
    try:
        for i, form in enumerate(forms):
            srv.lmtp_deliver(inputs.mail(form, i), [INKOOP])
        with tempfile.TemporaryDirectory() as tmp:
            result = _run_backlog(
                _settings(
                    tmp,
                    mailbox={"backend": "imap"},
                    **srv.tables(sent_folder=""),
                )
            )
        assert result["cases"] == len(forms)
        with srv.imap(ADVISERS[0]) as c:
            asked = c.select_folder("INBOX", readonly=True)[b"EXISTS"]
        assert asked == len(forms), f"{asked} advice mails for {len(forms)} forms"
    finally:
        srv.cleanup()
    return [
        f"backlog {len(forms)} forms, IMAP/SMTP",
        f"{result['seconds']:.1f} s",
        f"{len(forms) / result['seconds']:.1f} forms/s",
        f"peak RSS {result['peak_mb']:.0f} MB",
        "≤ 60 s / 1,000; ≤ 300 MB",
    ]


def latency(n_push: int, n_poll: int, poll_seconds: float) -> list[list[str]]:
    from bench.mail_latency import BA, ICM, REFERRER, measure
    from tests import mailserver

    os.environ["MAATWERK_IMAP_PASSWORD"] = mailserver.PASSWORD
    srv = ChildMailServer([INKOOP, ICM, BA, REFERRER, "backoffice@zorginzou.nl"])
    try:
        push = measure(srv, n_push, True, 600.0, 0)
        poll = measure(srv, n_poll, False, poll_seconds, 10_000)
    finally:
        srv.cleanup()
    return [
        [
            "latency, IMAP IDLE push",
            f"p50 {pct(push, 0.5):.2f} s",
            f"p95 {pct(push, 0.95):.2f} s",
            f"n = {len(push)}",
            "p95 ≤ 3 s",
        ],
        [
            f"latency, polling every {poll_seconds:g} s",
            f"p50 {pct(poll, 0.5):.2f} s",
            f"p95 {pct(poll, 0.95):.2f} s",
            f"n = {len(poll)}",
            "—",
        ],
    ]


def rendering(n: int) -> list[list[str]]:

    from bench.render_speed import contract
    from pipeline.convert import to_pdf
    from pipeline.stages.decide import Decision
    from pipeline.stages.render import Renderer

    settings = Settings()
    mappings = load_mappings(settings.region.mappings_dir, "zou")
    record = extract_bytes(inputs.legacy_docx(1), mappings).record
    renderer = Renderer(settings.region.templates_dir)
    ctx = contract(record, Decision("positief", None, True, None, None), mappings)
    t = time.perf_counter()
    docs = {f"c{i}": renderer.render("maatwerkovereenkomst", ctx) for i in range(n)}
    docx_s = time.perf_counter() - t
    to_pdf({"warm": docs["c0"]})  # LibreOffice's first start, outside the measurement
    t = time.perf_counter()
    to_pdf(docs)
    pdf_s = time.perf_counter() - t
    return [
        ["contracts as docx", f"{n / docx_s:.1f} /s", "", f"n = {n}", "—"],
        [
            "contracts as PDF (one LibreOffice call)",
            f"{n / pdf_s:.1f} /s",
            "",
            f"n = {n}",
            "—",
        ],
    ]


def main() -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--quick", action="store_true", help="CI-sized: fewer forms and repeats"
    )
    args = ap.parse_args()
    q = args.quick
    started = time.perf_counter()
    n = 100 if q else 1000
    forms = [inputs.legacy_docx(i) for i in range(n)]
    rows: list[list[str]] = []
    rows += extraction(5 if q else 20)
    rows.append(backlog_maildir(forms))
    rows.append(backlog_imap(forms))
    rows += latency(5 if q else 50, 2 if q else 10, 2.0 if q else 5.0)
    rows += rendering(5 if q else 20)
    header = ["what", "result", "", "", "target"]
    lines = [
        (
            f"## python -m bench{' --quick' if q else ''} —"
            f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()},"
            f" {platform.machine()}, {os.cpu_count()} cores, Python"
            f" {platform.python_version()}, {time.perf_counter() - started:.0f} s"
        ),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    append_results(text + "\n")


if __name__ == "__main__":
    main()
