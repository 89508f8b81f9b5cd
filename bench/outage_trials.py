"""Outages with real parts while `maatwerk run` runs as a process:

- the register on a full disk: a small tmpfs (mounted by this script; needs root) that
  fills up mid-backlog, then grows back;
- the mail server down 60 s: real Dovecot and SMTP (tests/mailserver.py) stopped
  mid-backlog, then started again on the same ports and mail store.

Each time it counts what `maatwerk status` said meanwhile, what waited, what ended in
Quarantaine, and whether every request became exactly one case with its advice requests.
Appends to bench/RESULTS.md.

    python -m bench.outage_trials [--mails 16] [--down 60]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import inputs  # noqa: E402
from bench.results import append_results  # noqa: E402
from pipeline import store  # noqa: E402
from pipeline.mail import MaildirPostOffice  # noqa: E402
from tests import mailserver  # noqa: E402

INKOOP = "inkoop@zorginzou.nl"
MAATWERK = [sys.executable, "-m", "maatwerk"]
ADVISERS = [
    "p.smit@zeist.nl",
    "icm@zorginzou.nl",
    "s.devries@zeist.nl",
    "beleid.jeugd@heuvelrug.nl",
    "beleidsadviseur.jeugd@houten.nl",
    "teamleider.lokaalteam@houten.nl",
]


def _status(root: Path) -> str:
    return subprocess.run(
        [*MAATWERK, "status"], cwd=root, capture_output=True, text=True, timeout=60
    ).stdout


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def _line_naming(status: str, word: str) -> str:
    """The line of `maatwerk status` output that names `word`, or '(niets)'."""
    return next((ln.strip() for ln in status.splitlines() if word in ln), "(niets)")


def _cases(root: Path) -> int:
    st = store.Store(f"sqlite:///{root / 'data' / 'maatwerk.db'}")
    with st.session() as s:
        n = len(store.open_cases(s))
    st.close()
    return n


def full_disk(mails: int) -> str:
    with tempfile.TemporaryDirectory(prefix="maatwerk-disk-") as tmp:
        root = Path(tmp)
        register = root / "data" / "register"
        register.mkdir(parents=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(register)],
            check=True,
        )
        try:
            (root / "maatwerk.toml").write_text("[mailbox]\npoll_seconds = 0.5\n")
            office = MaildirPostOffice(root / "data" / "mail")
            for i in range(mails):
                office.maildir(INKOOP).add(inputs.mail(inputs.legacy_docx(i), i))
            proc = subprocess.Popen(
                [*MAATWERK, "run"],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            said, deadline = "", time.monotonic() + 120
            while time.monotonic() < deadline and "registermap" not in said:
                time.sleep(1)
                said = _status(root)
            waiting = len(office.maildir(INKOOP))
            held = (
                len(office.maildir(INKOOP).get_folder("Quarantaine"))
                if "Quarantaine" in office.maildir(INKOOP).list_folders()
                else 0
            )
            subprocess.run(
                ["mount", "-o", "remount,size=200m", str(register)], check=True
            )  # space again
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and len(office.maildir(INKOOP)):
                time.sleep(1)
            time.sleep(3)
            _stop(proc)
            cases = _cases(root)
            quarantined = (
                len(office.maildir(INKOOP).get_folder("Quarantaine"))
                if "Quarantaine" in office.maildir(INKOOP).list_folders()
                else 0
            )
        finally:
            subprocess.run(["umount", "-l", str(register)], check=False)
    line = _line_naming(said, "registermap")
    return (
        f"register on a full disk (a 400 KB tmpfs, {mails} requests): status said"
        f' "{line}"; {waiting} mails waited in the inbox meanwhile, {held} in'
        f" Quarantaine; after the disk grew: {cases}/{mails} cases,"
        f" {len(office.maildir(INKOOP))} left in the inbox, {quarantined} in"
        " Quarantaine"
    )


def _deliver(srv: mailserver.MailServer, numbers: range) -> None:
    """Deliver one request mail to the inbox for each number."""
    for i in numbers:
        srv.lmtp_deliver(inputs.mail(inputs.template_docx(i), i), [INKOOP])


def _status_while_down(root: Path, srv: mailserver.MailServer, down: float) -> str:
    """Stop the mail server for `down` seconds; the last `maatwerk status` output
    meanwhile that named the mail server ('' if none did)."""
    srv.stop()
    said, started = "", time.monotonic()
    while time.monotonic() - started < down:
        time.sleep(2)
        out = _status(root)
        said = out if "mailserver" in out else said
        if os.environ.get("BENCH_DEBUG"):
            print(out, flush=True)
    srv.start()
    return said


def _wait_until_handled(root: Path, srv: mailserver.MailServer, mails: int) -> None:
    """Wait (at most 300 s) until the inbox is empty and every mail became a case."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (
        srv.messages(INKOOP) or _cases(root) < mails
    ):
        time.sleep(2)
    time.sleep(3)


def mail_server_down(mails: int, down: float) -> str:
    srv = mailserver.MailServer([INKOOP, *ADVISERS]).start()
    with tempfile.TemporaryDirectory(prefix="maatwerk-imap-") as tmp:
        root = Path(tmp)
        (root / "maatwerk.toml").write_text(
            '[mailbox]\nbackend = "imap"\npoll_seconds = 1\n'
            + mailserver.toml(srv.tables())
        )
        env = os.environ | {"MAATWERK_IMAP_PASSWORD": mailserver.PASSWORD}
        try:
            _deliver(srv, range(mails // 2))
            proc = subprocess.Popen(
                [*MAATWERK, "run"],
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(5)
            said = _status_while_down(root, srv, down)
            _deliver(srv, range(mails // 2, mails))
            _wait_until_handled(root, srv, mails)
            _stop(proc)
            cases, left = _cases(root), len(srv.messages(INKOOP))
            held = (
                len(srv.messages(INKOOP, "Quarantaine"))
                if _has(srv, "Quarantaine")
                else 0
            )
            asked = sum(
                1 for m in srv.messages("icm@zorginzou.nl") if b"Adviesaanvraag" in m
            )
        finally:
            srv.cleanup()
            shutil.rmtree(srv.root, ignore_errors=True)
    line = _line_naming(said, "mailserver")
    return (
        f"mail server (Dovecot + SMTP) down {down:.0f} s with {mails} requests: status"
        f' said "{line}"; after it was back: {cases}/{mails} cases, {left} left in the'
        f" inbox, {held} in Quarantaine, {asked} advice requests at ICM (one per case,"
        " none twice)"
    )


def _has(srv, folder: str) -> bool:
    try:
        srv.messages(INKOOP, folder)
        return True
    except Exception:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mails", type=int, default=16)
    ap.add_argument("--down", type=float, default=60.0)
    args = ap.parse_args()
    lines = [full_disk(args.mails), mail_server_down(args.mails, args.down)]
    text = (
        f"\n## Outages ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()},"
        f" {os.cpu_count()} cores)\n\n`python -m bench.outage_trials --mails"
        f" {args.mails} --down {args.down:.0f}`:\n\n"
        + "".join(f"- {ln}.\n" for ln in lines)
    )
    print(text)
    append_results(text)


if __name__ == "__main__":
    main()
