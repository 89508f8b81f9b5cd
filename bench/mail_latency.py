"""Latency from a request's delivery to the IMAP server until both advice mails are in
the advisers' mailboxes: p50/p95, with IMAP IDLE push and with polling. Real Dovecot +
SMTP on loopback (tests/mailserver.py; Dovecot from scripts/setup-system).

    python bench/mail_latency.py [--n 50] [--poll-n 10] [--poll-seconds 5]

Target (issue 4): p95 ≤ 3 s with push. Appends its table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import smtplib
import sys
import tempfile
import threading
import time
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402

from bench.extract_speed import pct  # noqa: E402
from bench.results import append_results  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.workflow.pipeline import Pipeline  # noqa: E402
from tests import mailserver  # noqa: E402
from watchers.run import run_forever  # noqa: E402

INKOOP, ICM, BA, REFERRER = (
    "inkoop@zorginzou.nl",
    "icm@zorginzou.nl",
    "p.smit@zeist.nl",
    "e.vandijk@zeist.nl",
)
FORM = ROOT.parent / "shared" / "samples" / "legacy-table.docx"


def form(i: int) -> bytes:
    doc = Document(str(FORM))
    doc.tables[0].rows[2].cells[1].paragraphs[0].runs[0].text = str(
        7000000 + i
    )  # another client each time
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def mail(i: int) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = REFERRER, INKOOP, f"aanvraag {i}"
    msg["Message-ID"] = make_msgid(domain="bench.test")
    msg.set_content("Zie bijlage.")
    msg.add_attachment(
        form(i),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="a.docx",
    )
    return msg.as_bytes()


def count(srv, user: str) -> int:
    with srv.imap(user) as c:
        return c.select_folder("INBOX", readonly=True)[b"EXISTS"]


def measure(srv, n: int, push: bool, poll_seconds: float, offset: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {
                "store": {"url": f"sqlite:///{tmp}/m.db"},
                "mailbox": {"backend": "imap", "poll_seconds": poll_seconds},
                **srv.tables(idle=push, sent_folder=""),
                "drop": {"path": f"{tmp}/drop"},
                "register": {"path": f"{tmp}/register"},
            }
        )
        pipeline = Pipeline(settings)
        stop = threading.Event()
        loop = threading.Thread(target=run_forever, args=(pipeline, stop), daemon=True)
        loop.start()
        time.sleep(1.5)
        out = []
        for i in range(n):
            before = (count(srv, BA), count(srv, ICM))
            raw = mail(offset + i)
            t0 = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
                smtp.sendmail(REFERRER, [INKOOP], raw)
            while (
                count(srv, BA),
                count(srv, ICM),
            ) == before and time.perf_counter() - t0 < 60:
                time.sleep(0.02)
            while (
                count(srv, BA) == before[0] or count(srv, ICM) == before[1]
            ) and time.perf_counter() - t0 < 60:
                time.sleep(0.02)
            out.append(time.perf_counter() - t0)
        stop.set()
        loop.join(timeout=30)
        pipeline.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--poll-n", type=int, default=10)
    ap.add_argument("--poll-seconds", type=float, default=5.0)
    args = ap.parse_args()
    os.environ["MAATWERK_IMAP_PASSWORD"] = mailserver.PASSWORD
    srv = mailserver.MailServer(
        [INKOOP, ICM, BA, REFERRER, "backoffice@zorginzou.nl"]
    ).start()
    try:
        push = measure(srv, args.n, True, 600.0, 0)
        poll = measure(srv, args.poll_n, False, args.poll_seconds, 10_000)
    finally:
        srv.cleanup()
    text = (
        f"## mail latency — {datetime.now():%Y-%m-%d %H:%M}, {platform.node()},"
        f" {os.cpu_count()} cores\n\ndelivery to the IMAP server → both advice mails in"
        " the advisers' IMAP inboxes\n\n| mode | n | p50 s | p95 s | max s"
        f" |\n|---|---:|---:|---:|---:|\n| IDLE push | {len(push)} |"
        f" {pct(push, 0.5):.2f} | {pct(push, 0.95):.2f} | {max(push):.2f} |\n| polling"
        f" every {args.poll_seconds:g} s | {len(poll)} | {pct(poll, 0.5):.2f} |"
        f" {pct(poll, 0.95):.2f} | {max(poll):.2f} |\n"
    )
    print(text)
    append_results(text + "\n")


if __name__ == "__main__":
    main()
