"""Outages while `maatwerk run` runs as a real process: the register folder (a file
share) gone, the PostgreSQL server stopped. The mail waits in the inbox (never in
quarantine), `maatwerk status` says what the worker waits on, and when the part is back
everything resumes by itself. (Mail server outages: tests/test_imap.py; LibreOffice
crashing: tests/test_flow.py.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.errors import ExitCode
from pipeline.mail import MaildirPostOffice
from tests.conftest import INKOOP, ZEIST_BA, sample
from tests.pgserver import PostgresServer

MAATWERK = [sys.executable, "-m", "maatwerk"]


def _status(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MAATWERK, "status"], cwd=root, capture_output=True, text=True, timeout=60
    )


def _until(check, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


def _inbox_left(office: MaildirPostOffice) -> int:
    return len(office.maildir(INKOOP))


def _worker(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*MAATWERK, "run"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def _quarantined(office: MaildirPostOffice) -> int:
    box = office.maildir(INKOOP)
    return (
        len(box.get_folder("Quarantaine")) if "Quarantaine" in box.list_folders() else 0
    )


def test_register_share_gone_then_back(tmp_path):
    (tmp_path / "maatwerk.toml").write_text("[mailbox]\npoll_seconds = 0.5\n")
    office = MaildirPostOffice(tmp_path / "data" / "mail")
    register = tmp_path / "data" / "register"
    proc = _worker(tmp_path)
    try:
        _until(register.exists, what="worker started")
        register.rename(tmp_path / "share-offline")  # the share is unmounted
        office.maildir(INKOOP).add(sample("mail-submission.eml").read_bytes())
        status = _until(
            lambda: (
                (s := _status(tmp_path)) and "wacht op de registermap" in s.stdout and s
            ),
            what="status names the register",
        )
        assert status.returncode == ExitCode.degraded  # for monitoring
        assert "Gezondheid: verminderd" in status.stdout
        assert (
            _inbox_left(office) == 1 and _quarantined(office) == 0
        )  # the mail waits, unharmed
        assert not register.exists()  # nothing was written somewhere else meanwhile
        assert len(office.maildir(ZEIST_BA)) == 0

        (tmp_path / "share-offline").rename(register)  # back
        _until(
            lambda: len(office.maildir(ZEIST_BA)) == 1,
            timeout=90,
            what="advice request after the outage",
        )
        assert _inbox_left(office) == 0 and _quarantined(office) == 0
        assert list(register.rglob("*aanvraagformulier MW-*.docx"))
        healthy = _until(
            lambda: (s := _status(tmp_path)) and "werkt" in s.stdout and s,
            timeout=30,
            what="status back to working",
        )
        assert healthy.returncode == ExitCode.ok and "Gezondheid: gezond" in (
            healthy.stdout
        )
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err


def test_postgresql_stopped_then_back(tmp_path):
    office = MaildirPostOffice(tmp_path / "data" / "mail")
    with PostgresServer() as pg:
        url = pg.create_database("outage")
        (tmp_path / "maatwerk.toml").write_text(
            f'[store]\nurl = "{url}"\n[mailbox]\npoll_seconds = 0.5\n'
        )
        proc = _worker(tmp_path)
        try:
            _until(
                lambda: "Verwerker" in _status(tmp_path).stdout, what="worker started"
            )
            pg.halt()
            office.maildir(INKOOP).add(sample("mail-submission.eml").read_bytes())
            down = _status(tmp_path)
            assert down.returncode == 8 and "database is niet bereikbaar" in down.stderr
            assert "Traceback" not in down.stderr
            time.sleep(5)  # the worker tries, fails and backs off meanwhile
            assert (
                proc.poll() is None
                and _inbox_left(office) == 1
                and _quarantined(office) == 0
            )

            pg.resume()
            _until(
                lambda: len(office.maildir(ZEIST_BA)) == 1,
                timeout=90,
                what="advice request after the outage",
            )
            assert _inbox_left(office) == 0 and _quarantined(office) == 0
            status = _until(
                lambda: (s := _status(tmp_path)) and "werkt" in s.stdout and s,
                timeout=30,
                what="status back to working",
            )
            assert "advies_gevraagd" in status.stdout
        finally:
            err = _stop(proc)
        assert proc.returncode == 0, err[-2000:]
        assert "waiting on de database" in err and "Traceback" not in err


def test_each_outage_is_named_for_status(tmp_path):
    """What `maatwerk status` says a worker waits on, per kind of failure."""
    import smtplib

    from imapclient.exceptions import IMAPClientError
    from sqlalchemy.exc import OperationalError

    from pipeline.errors import FolderUnavailable
    from pipeline.register.folder import Register
    from watchers.folder import DropFolder
    from watchers.run import waiting_on

    drop = DropFolder(tmp_path / "drop")
    (tmp_path / "drop").rmdir()  # the share went away
    try:
        drop.candidates()
    except Exception as exc:
        assert waiting_on(exc) == "de dropmap"
    else:
        raise AssertionError("a missing drop folder went unnoticed")
    register = Register(tmp_path / "register")
    try:
        register.case_dir(2027, "Zeist", "MW-2027-0001")
    except FolderUnavailable as exc:
        assert waiting_on(exc) == "de registermap"
    assert not (tmp_path / "register").exists()
    assert (
        waiting_on(OperationalError("SELECT 1", {}, OSError("refused")))
        == "de database"
    )
    for exc in (
        ConnectionRefusedError(),
        smtplib.SMTPServerDisconnected(),
        IMAPClientError("BYE"),
    ):
        assert waiting_on(exc) == "de mailserver"
    assert "onverwachte fout" in waiting_on(ValueError())
