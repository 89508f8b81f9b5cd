"""The `maatwerk` command on embedded defaults, as an operator uses it."""

from __future__ import annotations

import mailbox
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.errors import ExitCode
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
        status.returncode == ExitCode.down  # the run --once is over
        and "Gezondheid: buiten werking" in status.stdout
        and "advies_gevraagd" in status.stdout
        and "Zeist" in status.stdout
    )
    case_id = next(w for w in status.stdout.split() if w.startswith("MW-"))
    no_reason = _run(tmp_path, "case", case_id)
    assert no_reason.returncode == ExitCode.usage and "--reden" in no_reason.stderr
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
    assert re.search(r"MW-\d{4}-0001 ontvangen", result.stderr)  # the event told
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


def _command_paths():
    """Every command and group of `maatwerk`, as the words that call it."""
    from typer.core import TyperGroup
    from typer.main import get_command

    from maatwerk import app

    def walk(group, path):
        yield path
        for name, command in group.commands.items():
            if isinstance(command, TyperGroup):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name]

    return list(walk(get_command(app), []))


# what Typer and pydantic say in English, which a Dutch user must not meet
ENGLISH = (
    "Usage",
    "Options",
    "Commands",
    "Arguments",
    "Show this message",
    "[required]",
    "[default",
    "<str>",
    "<bool>",
    "<int>",
    "<path>",
    "<file>",
    "Error",
    "Try ",
)


def test_every_command_helps_in_dutch_with_an_example(tmp_path):
    paths = _command_paths()
    assert len(paths) >= 18 and ["init"] in paths and ["report", "monitoring"] in paths
    for words in paths:
        result = _run(tmp_path, *words, "--help")
        assert result.returncode == 0, words
        assert "Gebruik: maatwerk" in result.stdout and "Voorbeeld: maatwerk" in (
            result.stdout
        ), words
        assert not [e for e in ENGLISH if e in result.stdout], (words, result.stdout)


def test_usage_errors_are_one_dutch_line_with_their_own_exit_code(tmp_path):
    for args, says in (
        (["status", "--bla"], "onbekende optie --bla"),
        (["nope"], "onbekende opdracht 'nope'"),
        (["case"], "'ZAAKNUMMER' ontbreekt"),
        (["report", "monitoring", "--year", "twee"], "moet een geheel getal zijn"),
        (["staus"], "onbekende opdracht 'staus' (bedoelt u 'status'?)"),
        (["report", "verlopend", "--week", "3"], "bedoelt u --weeks?"),
        (["web", "--poort", "0"], "'--poort': moet minstens 1 zijn"),
        (["web", "--poort", "70000"], "'--poort': mag hoogstens 65535 zijn"),
    ):
        result = _run(tmp_path, *args)
        assert result.returncode == ExitCode.usage, args
        assert result.stderr.startswith("Fout: ") and says in result.stderr, args
        assert len(result.stderr.splitlines()) == 1, result.stderr
    assert ExitCode.usage != ExitCode.unreadable_form


def test_version_and_a_global_config(tmp_path):
    from importlib.metadata import version

    result = _run(tmp_path, "--version")
    assert (
        result.returncode == 0 and result.stdout == f"maatwerk {version('maatwerk')}\n"
    )
    cfg = tmp_path / "elders.toml"
    cfg.write_text('log_level = "LUID"\n')
    for args in (["--config", str(cfg), "status"], ["status", "--config", str(cfg)]):
        result = _run(tmp_path, *args)
        assert result.returncode == ExitCode.config and "LUID" in result.stderr, args


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
        panel = result.stdout.split("Opdrachten")[1].split("╰")[0].splitlines()[1:]
        rows = [line.strip("│ ").split()[0] for line in panel if line.strip("│ ")]
        assert result.returncode == 0 and len(rows) >= 1
        assert all(row.isalpha() and row.islower() for row in rows), rows


def test_a_backlog_shows_a_progress_bar_on_a_terminal_and_the_summary_counts_right(
    tmp_path,
):
    import email
    import pty

    inbox = MaildirPostOffice(tmp_path / "data" / "mail").maildir("inkoop@zorginzou.nl")
    original = sample("mail-submission.eml").read_bytes()
    for i in range(12):  # the same request twelve times: one case, eleven repeats
        msg = email.message_from_bytes(original)
        del msg["Message-ID"]
        msg["Message-ID"] = f"<backlog-{i}@zeist.nl>"
        inbox.add(msg.as_bytes())
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [*MAATWERK, "run", "--once"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(main)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))
    assert "achterstand" in text and "/12" in text
    assert "12 mail(s)" in text and "1 nieuwe zaak/zaken" in text
    assert "Traceback" not in text


def test_status_and_case_never_make_a_store_and_say_where_they_looked(tmp_path):
    for args in (
        ["status"],
        ["case", "MW-2026-0001", "--reden", "x"],
        ["inzage", "MW-2026-0001"],
    ):
        result = _run(tmp_path, *args)
        assert result.returncode == ExitCode.not_found, args
        assert str(tmp_path / "data" / "maatwerk.db") in result.stderr
        assert "--config" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "data").exists()


def test_status_json_and_health_of_a_store_with_no_worker(tmp_path):
    import json

    inbox = MaildirPostOffice(tmp_path / "data" / "mail").maildir("inkoop@zorginzou.nl")
    inbox.add(sample("mail-submission.eml").read_bytes())
    assert _run(tmp_path, "run", "--once").returncode == 0
    result = _run(tmp_path, "status", "--json")
    assert result.returncode == ExitCode.down
    st = json.loads(result.stdout)
    assert st["gezondheid"] == "buiten werking" and st["open_zaken"] == 1
    assert st["zaken"][0]["zaak"].startswith("MW-") and st["verwerkers"] == []
    prom = _run(tmp_path, "status", "--prometheus")
    assert "maatwerk_gezondheid 2\n" in prom.stdout and "maatwerk_open_zaken 1\n" in (
        prom.stdout
    )
