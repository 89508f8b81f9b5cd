"""Soak: many request mails through a real IMAP/SMTP server, handled by several
`maatwerk run` workers sharing one PostgreSQL store; then everything is counted.

    python -m bench.soak                        # 10,000 mails, 2 workers (≈ 10 min on 2
    cores) python -m bench.soak --mails 500 --workers 2

Mails are delivered while the workers run (a feeder at full speed, as a backlog
arriving). The workers' RSS is sampled every few seconds. At the end it checks: one case
per mail, no mail lost (inbox and quarantine empty, every mail in Verwerkt once), every
adviser exactly one advice request per case, the referrer one receipt per case, nothing
left unsent; and appends the result to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import inputs  # noqa: E402
from bench.__main__ import ADVISERS, INKOOP  # noqa: E402
from bench.results import append_results  # noqa: E402
from pipeline import store  # noqa: E402
from tests import mailserver  # noqa: E402
from tests.mailserver import ChildMailServer  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

REFERRER = "s.devries@zeist.nl"


def rss_mb(pid: int) -> float:
    try:
        line = next(
            x
            for x in Path(f"/proc/{pid}/status").read_text().splitlines()
            if x.startswith("VmRSS:")
        )
    except (FileNotFoundError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 1024


def headers(srv: ChildMailServer, user: str, folder: str = "INBOX") -> list:
    parser = BytesHeaderParser()
    with srv.imap(user) as c:
        if not c.folder_exists(folder):
            return []
        c.select_folder(folder, readonly=True)
        uids = c.search("ALL")
        out = []
        for start in range(0, len(uids), 1000):
            data = c.fetch(
                uids[start : start + 1000],
                ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"],
            )
            out += [
                parser.parsebytes(v[b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"])
                for v in data.values()
            ]
        return out


# a sample: seconds since the start, cases, RSS per worker (MB)
Sample = tuple[float, int, list[float]]


@dataclass(frozen=True)
class Memory:
    """The workers' RSS over the run: the second quarter's average (the first quarter is
    warming up), the last quarter's, and the peak, each per worker."""

    second: list[float]
    last: list[float]
    peak: list[float]
    judged: bool  # a short run says nothing about memory over time
    flat: bool


def write_config(tmp: Path, url: str, srv: ChildMailServer) -> None:
    """The workers' maatwerk.toml: the store at `url`, the mail server `srv`."""
    (tmp / "maatwerk.toml").write_text(f"""
[store]
url = "{url}"
[mailbox]
backend = "imap"
poll_seconds = 2
{mailserver.toml(srv.tables(sent_folder=""))}[drop]
path = "{tmp / "drop"}"
[register]
path = "{tmp / "register"}"
""")


def start_workers(tmp: Path, count: int) -> list[subprocess.Popen]:
    """`count` `maatwerk run` processes in `tmp`, each logging to its own file."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "maatwerk", "run"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / f"worker{i}.log", "w"),
        )
        for i in range(count)
    ]


def feeder(srv: ChildMailServer, n: int) -> threading.Thread:
    """A thread (not started) delivering `n` request mails at full speed, each its own
    request (its own ZorgNed number)."""

    def feed() -> None:
        for i in range(n):
            srv.lmtp_deliver(
                inputs.mail(inputs.legacy_docx(i), i, sender=REFERRER), [INKOOP]
            )

    return threading.Thread(target=feed, daemon=True)


def count_unsent(s: Session) -> int:
    return s.query(store.OutboxMail).filter(store.OutboxMail.sent_at.is_(None)).count()


def watch(
    st: store.Store,
    workers: list[subprocess.Popen],
    feed: threading.Thread,
    n: int,
    tmp: Path,
    t0: float,
) -> list[Sample]:
    """Sample cases and RSS every 5 s until `n` cases exist, nothing is unsent and the
    feeder is done.

    Raises:
        SystemExit: a worker stopped.
    """
    samples: list[Sample] = []
    while True:
        time.sleep(5)
        with st.session() as s:
            cases = s.query(store.Case).count()
            unsent = count_unsent(s)
        samples.append((time.monotonic() - t0, cases, [rss_mb(w.pid) for w in workers]))
        print(
            f"  {samples[-1][0]:6.0f} s  {cases:6d} cases  {unsent:5d} unsent  RSS "
            + " ".join(f"{r:.0f}" for r in samples[-1][2])
            + " MB",
            file=sys.stderr,
        )
        if any(w.poll() is not None for w in workers):
            raise SystemExit("a worker stopped: see " + str(tmp))
        if cases >= n and not unsent and not feed.is_alive():
            return samples


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=60)


def store_counts(st: store.Store) -> tuple[int, int, int]:
    """Cases, received mails and unsent mails in the store."""
    with st.session() as s:
        return (
            s.query(store.Case).count(),
            s.query(store.Received).count(),
            count_unsent(s),
        )


def checks(
    counts: tuple[int, int, int], srv: ChildMailServer, n: int
) -> dict[str, bool]:
    """One case per mail, no mail lost (inbox and quarantine empty, every mail in
    Verwerkt once), every adviser exactly one advice request per case, the referrer
    one receipt per case, nothing left unsent."""
    n_cases, n_received, n_unsent = counts
    processed = headers(srv, INKOOP, "Verwerkt")
    checks = {
        "cases": n_cases == n,
        "received once each": n_received == n,
        "inbox empty": not headers(srv, INKOOP),
        "quarantine empty": not headers(srv, INKOOP, "Quarantaine"),
        "each mail once in Verwerkt": (
            len(processed) == n and len({m["Message-ID"] for m in processed}) == n
        ),
        "outbox all sent": n_unsent == 0,
    }
    for adviser in ADVISERS:
        asked = headers(srv, adviser)
        per_case = Counter(str(m["Subject"]).split("[")[1].split("]")[0] for m in asked)
        checks[f"{adviser}: one advice request per case"] = len(per_case) == n and set(
            per_case.values()
        ) == {1}
        checks[f"{adviser}: no mail twice"] = len(
            {m["Message-ID"] for m in asked}
        ) == len(asked)
    checks["referrer: one receipt per case"] = len(headers(srv, REFERRER)) == n
    return checks


def memory(samples: list[Sample], workers: int) -> Memory:
    """Flat = the last quarter's RSS at most 10 % and the peak at most 15 % above the
    second quarter's (the first quarter is warming up)."""

    def avg(part: list[Sample]) -> list[float]:
        return [sum(x[2][i] for x in part) / len(part) for i in range(workers)]

    q = max(1, len(samples) // 4)
    second, last = avg(samples[q : 2 * q] or samples), avg(samples[-q:])
    peak = [max(x[2][i] for x in samples) for i in range(workers)]
    judged = len(samples) >= 8
    flat = not judged or all(
        b <= a * 1.10 and p <= a * 1.15 for a, b, p in zip(second, last, peak)
    )
    return Memory(second, last, peak, judged, flat)


def report(
    n: int, workers: int, seconds: float, failed: list[str], mem: Memory, started: float
) -> str:
    """The RESULTS.md section: a heading naming the machine, and the table."""
    rows = [
        [
            f"soak {n} mails, {workers} workers, IMAP + PostgreSQL",
            f"{seconds:.0f} s",
            f"{n / seconds:.1f} mails/s",
            ("0 lost, 0 duplicated" if not failed else "FAILED: " + "; ".join(failed)),
            "0 lost, 0 duplicated",
        ],
        [
            "worker RSS (2nd quarter → last quarter, peak)",
            " / ".join(f"{a:.0f}→{b:.0f}" for a, b in zip(mem.second, mem.last))
            + " MB",
            "peak " + " / ".join(f"{p:.0f}" for p in mem.peak) + " MB",
            ("flat" if mem.flat else "GROWING") if mem.judged else "too short to judge",
            "flat (last ≤ +10 %, peak ≤ +15 %)",
        ],
    ]
    table = ["| what | result |  |  | target |", "|---|---|---|---|---|"] + [
        "| " + " | ".join(r) + " |" for r in rows
    ]
    head = (
        f"## python -m bench.soak — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {platform.node()}, {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, {time.time() - started:.0f} s"
    )
    return "\n".join([head, "", *table, ""])


def soak(
    n: int, count: int, srv: ChildMailServer, url: str, tmp: Path, started: float
) -> None:
    """Run `count` workers over `n` mails, count everything, report.

    Raises:
        SystemExit: a worker stopped, a check failed or memory grew.
    """
    workers: list[subprocess.Popen] = []
    try:
        workers = start_workers(tmp, count)
        feed = feeder(srv, n)
        t0 = time.monotonic()
        feed.start()
        st = store.Store(url)
        samples = watch(st, workers, feed, n, tmp, t0)
        seconds = time.monotonic() - t0
        stop_workers(workers)
        counts = store_counts(st)
        st.close()
        failed = [k for k, ok in checks(counts, srv, n).items() if not ok]
        mem = memory(samples, count)
        text = report(n, count, seconds, failed, mem, started)
        print(text)
        append_results("\n" + text)
        if failed or not mem.flat:
            raise SystemExit(1)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mails", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    started = time.time()
    os.environ["MAATWERK_IMAP_PASSWORD"] = mailserver.PASSWORD
    srv = ChildMailServer([INKOOP, *ADVISERS, REFERRER])
    pg = PostgresServer(durable=True).start()
    tmp = Path(tempfile.mkdtemp(prefix="mw-soak-"))
    try:
        url = pg.create_database("maatwerk")
        write_config(tmp, url, srv)
        print(
            f"soak: {args.mails} mails, {args.workers} workers, PostgreSQL on"
            f" :{pg.port}, IMAP on :{srv.imap_port}",
            file=sys.stderr,
        )
        soak(args.mails, args.workers, srv, url, tmp, started)
    finally:
        pg.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
