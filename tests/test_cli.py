"""The `maatwerk` command on embedded defaults, as an operator uses it."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.mail import MaildirPostOffice
from tests.conftest import sample

MAATWERK = [sys.executable, "-m", "maatwerk"]


def _run(cwd: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MAATWERK, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_run_once_without_config_uses_embedded_defaults(tmp_path):
    inbox = MaildirPostOffice(tmp_path / "data" / "mail").maildir("inkoop@zorginzou.nl")
    inbox.add(sample("mail-submission.eml").read_bytes())
    result = _run(tmp_path, "run", "--once")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "maatwerk.db").exists()
    advisers = mailbox.Maildir(
        tmp_path / "data" / "mail" / "p.smit@zeist.nl", create=False
    )
    assert len(advisers) == 1
    assert list(
        (tmp_path / "data" / "register").rglob("*aanvraagformulier MW-*-0001.docx")
    )

    status = _run(tmp_path, "status")
    assert (
        status.returncode == 0
        and "advies_gevraagd" in status.stdout
        and "Zeist" in status.stdout
    )
    case_id = next(w for w in status.stdout.split() if w.startswith("MW-"))
    no_reason = _run(tmp_path, "case", case_id)
    assert no_reason.returncode == 2 and "--reden" in no_reason.stderr
    history = _run(tmp_path, "case", case_id, "--reden", "vraag van de gemeente Zeist")
    assert (
        history.returncode == 0
        and "ontvangen" in history.stdout
        and "advies_gevraagd" in history.stdout
    )
    unknown = _run(tmp_path, "case", "MW-1999-0001", "--reden", "controle")
    assert (
        unknown.returncode == 4
        and "bestaat niet" in unknown.stderr
        and "Traceback" not in unknown.stderr
    )

    # the inzage log: the worker that processed the request, then the person who looked
    # and why
    log = _run(tmp_path, "inzage", case_id)
    assert log.returncode == 0, log.stderr
    lines = " ".join(log.stdout.split())
    assert (
        "maatwerk@" in lines and "verwerkt" in lines and "aanvraag ontvangen" in lines
    )
    assert "bekeken" in lines and "vraag van de gemeente Zeist" in lines
    assert lines.index("verwerkt") < lines.index("bekeken")


def test_logs_hold_no_form_contents(tmp_path):
    inbox = MaildirPostOffice(tmp_path / "data" / "mail").maildir("inkoop@zorginzou.nl")
    inbox.add(sample("mail-submission.eml").read_bytes())
    result = _run(tmp_path, "run", "--once")
    assert "case MW-" in result.stderr
    for personal in (
        "644475",
        "Esther",
        "van Dijk",
        "Sterk Thuis",
        "NL51SNSB4236634872",
        "Turks",
    ):
        assert personal not in result.stderr


def test_debug_logging_never_lets_libraries_log_form_contents(tmp_path):
    """log_level = "DEBUG" is for maatwerk's own loggers: pdfminer's debug lines (the
    PDF's strings) and every other library's stay out of the log."""
    (tmp_path / "maatwerk.toml").write_text('log_level = "DEBUG"\n')
    result = _run(tmp_path, "extract", str(sample("legacy-table-as-pdf.pdf")))
    assert result.returncode == 0, result.stderr
    assert "Sterk Thuis" in result.stdout  # the form was read, as text
    for line in result.stderr.splitlines():
        assert " DEBUG " not in line or " maatwerk" in line, line
    assert "pdfminer" not in result.stderr and "pdfplumber" not in result.stderr
    for personal in (
        "644475",
        "Esther",
        "van Dijk",
        "Sterk Thuis",
        "NL51SNSB4236634872",
        "Turks",
        "Yılmaz",
    ):
        assert personal not in result.stderr
    inbox = MaildirPostOffice(tmp_path / "data" / "mail").maildir("inkoop@zorginzou.nl")
    inbox.add(sample("mail-submission.eml").read_bytes())
    run = _run(
        tmp_path, "run", "--once"
    )  # and the worker at DEBUG, with a mail to read
    assert run.returncode == 0 and "case MW-" in run.stderr, run.stderr
    for line in run.stderr.splitlines():
        assert " DEBUG " not in line or " maatwerk" in line, line
    for personal in (
        "644475",
        "Esther",
        "van Dijk",
        "Sterk Thuis",
        "NL51SNSB4236634872",
        "Turks",
        "Yılmaz",
    ):
        assert personal not in run.stderr


def test_run_watches_the_drop_folder_and_stops_cleanly_on_ctrl_c(tmp_path):
    (tmp_path / "maatwerk.toml").write_text(
        "[drop]\nstable_seconds = 0.3\n[mailbox]\npoll_seconds = 0.5\n"
    )
    proc = subprocess.Popen(
        [*MAATWERK, "run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        drop = tmp_path / "data" / "drop"
        deadline = time.monotonic() + 30
        while not drop.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        (drop / "aanvraag.docx").write_bytes(sample("legacy-table.docx").read_bytes())
        done = drop / "verwerkt"
        while (
            not (done.exists() and any(done.iterdir())) and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert done.exists() and [p.name for p in done.iterdir()] == [
            "MW-2026-0001 aanvraag.docx".replace("2026", time.strftime("%Y"))
        ]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Klaar:" in err and "Traceback" not in err
    assert (
        len(
            mailbox.Maildir(
                tmp_path / "data" / "mail" / "p.smit@zeist.nl", create=False
            )
        )
        == 1
    )


def test_help_is_there_for_every_command(tmp_path):
    for cmd in (
        "run",
        "status",
        "check",
        "case",
        "inzage",
        "opschonen",
        "reprocess",
        "quarantaine",
        "extract",
    ):
        result = _run(tmp_path, cmd, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_the_command_list_gives_each_command_its_summary_on_one_line(tmp_path):
    """On a wide terminal every row of the list starts with a command's name: no
    summary broken where its docstring's lines happen to end."""
    for group in ([], ["quarantaine"], ["report"], ["bench"]):
        result = subprocess.run(
            [*MAATWERK, *group, "--help"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "400", "TERM": "dumb"},
        )
        panel = result.stdout.split("Commands")[1].split("╰")[0].splitlines()[1:]
        rows = [line.strip("│ ").split()[0] for line in panel if line.strip("│ ")]
        assert result.returncode == 0 and len(rows) >= 1
        assert all(row.isalpha() and row.islower() for row in rows), rows
