"""`maatwerk check` as an operator runs it, as a command (a child process) against the
real thing each time: the embedded defaults, the real Dovecot and PostgreSQL on
loopback, the local Graph and EWS servers, a region's own templates — each one working,
then broken in turn. Every line of the checklist is OK or FOUT (with how to fix it), in
Dutch; the exit code is 0 when all is OK, 1 on any FOUT, 3 when the config cannot be
read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.errors import ExitCode
from tests import mailserver, pgserver
from tests.conftest import ICM, INKOOP, parse
from tests.loopback import free_port

MAATWERK = [sys.executable, "-m", "maatwerk"]
# English that must never reach the operator (whole words: a type name in brackets,
# such as "(OperationalError)", is how the product names an error on purpose)
ENGLISH = re.compile(
    r"\b(Traceback|Error|Exception|Usage|usage|[Ff]ailed|not found|No such|[Dd]enied"
    r"|[Rr]efused|[Ii]nvalid|[Uu]nexpected|[Ee]xpected|Warning|WARNING|Try|[Tt]he"
    r"|at line|column|cannot|could not|is not)\b"
)
MARK = re.compile(r"^(OK|FOUT)\s+(.+?): (.*)$")


@dataclass
class Line:
    ok: bool
    detail: str
    fix: str


@dataclass
class Checked:
    code: int
    stdout: str
    stderr: str
    lines: dict[str, Line]  # what → its line

    def line(self, prefix: str) -> Line:
        """The line whose 'what' starts with `prefix`."""
        found = [v for k, v in self.lines.items() if k.startswith(prefix)]
        assert len(found) == 1, (prefix, self.stdout)
        return found[0]

    def failed(self) -> list[str]:
        return [k for k, v in self.lines.items() if not v.ok]


def checklist(stdout: str) -> dict[str, Line]:
    """The checklist's lines: each starts with OK or FOUT; a FOUT is followed by its
    fix ('      → …'); a line rich wrapped goes on the next line."""
    lines: dict[str, Line] = {}
    current: Line | None = None
    for raw in stdout.splitlines():
        text = raw.strip()
        if m := MARK.match(raw):
            current = Line(m.group(1) == "OK", m.group(3).strip(), "")
            assert m.group(2) not in lines, stdout
            lines[m.group(2)] = current
        elif text.startswith("→") and current is not None:
            current.fix = text[1:].strip()
        elif text and current is not None and not text.startswith(("Alles OK", "0 ")):
            if re.match(r"^\d+ FOUT\(en\)", text):
                current = None
            elif current.fix:
                current.fix += " " + text
            else:
                current.detail += " " + text
    return lines


def check(
    cwd: Path, config: Path | None, *args: str, env: dict[str, str] | None = None
) -> Checked:
    """`maatwerk [--config config] check *args` in `cwd`; its output holds no traceback
    and no English, every FOUT has its fix, and the exit code matches the lines."""
    environment = {**os.environ, **(env or {})}
    environment.pop("MAATWERK_CONFIG", None)
    cmd = [*MAATWERK, *(["--config", str(config)] if config else []), "check", *args]
    result = subprocess.run(
        cmd, cwd=cwd, env=environment, capture_output=True, text=True, timeout=180
    )
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both
    assert not ENGLISH.search(both), (ENGLISH.search(both), both)
    lines = checklist(result.stdout)
    assert lines and next(iter(lines)) == "Configuratie", result.stdout
    checked = Checked(result.returncode, result.stdout, result.stderr, lines)
    failed = checked.failed()
    if result.returncode == ExitCode.config:
        assert failed == ["Configuratie"] and len(lines) == 1, result.stdout
    else:
        assert result.returncode == (ExitCode.error if failed else ExitCode.ok), (
            result.stdout
        )
        assert ("Alles OK." in result.stdout) == (not failed), result.stdout
    for what in failed:
        assert lines[what].fix, (what, result.stdout)
    return checked


def write_config(root: Path, tables: dict[str, dict[str, object]]) -> Path:
    """A maatwerk.toml in `root` with its folders (and SQLite) under `root`, plus
    `tables` (a table given replaces the default one's keys it names)."""
    base: dict[str, dict[str, object]] = {
        "store": {"url": f"sqlite:///{root / 'maatwerk.db'}"},
        "mailbox": {"maildir_root": str(root / "mail")},
        "drop": {"path": str(root / "drop")},
        "register": {"path": str(root / "register")},
    }
    for name, table in tables.items():
        base[name] = {**base.get(name, {}), **table}
    path = root / "maatwerk.toml"
    path.write_text(mailserver.toml(base), encoding="utf-8")
    return path


# --- embedded defaults ----------------------------------------------------------------


def test_embedded_defaults_are_all_ok_and_make_no_database(tmp_path):
    result = check(tmp_path, None)
    assert result.code == ExitCode.ok
    assert result.failed() == []
    assert "ingebouwde standaardwaarden" in result.line("Configuratie").detail
    for what in (
        "Regioprofiel 'zou'",
        "Documentsjablonen",
        "Mailsjablonen",
        "Mailbox (maildir)",
        "Database",
        "Mappen",
        "Tekstherkenning",
        "LibreOffice",
    ):
        assert result.line(what).ok
    assert "bestaat nog niet" in result.line("Database").detail
    assert not (tmp_path / "data" / "maatwerk.db").exists()
    assert not list(tmp_path.rglob("*.db*"))
    assert "Alles OK." in result.stdout


def test_an_unreadable_config_is_one_fout_and_exit_3(tmp_path):
    bad = tmp_path / "maatwerk.toml"
    bad.write_text('[store\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    result = check(tmp_path, bad)
    assert result.code == ExitCode.config
    assert list(result.lines) == ["Configuratie"]
    line = result.lines["Configuratie"]
    assert not line.ok
    assert "maatwerk.toml is geen geldige TOML (regel 1, kolom 7)" in line.detail
    assert "config.example.toml" in line.fix


# --- Dovecot (IMAP + SMTP) ------------------------------------------------------------

needs_dovecot = pytest.mark.skipif(
    not mailserver.available(),
    reason="Dovecot not installed (scripts/setup-system --tests)",
)


def _imap_config(root: Path, srv) -> Path:
    return write_config(root, {"mailbox": {"backend": "imap"}, **srv.tables()})


@needs_dovecot
def test_dovecot_ok_then_wrong_password_then_stopped(server, tmp_path):
    cfg = _imap_config(tmp_path, server)
    good = {"MAATWERK_IMAP_PASSWORD": mailserver.PASSWORD}

    ok = check(tmp_path, cfg, env=good)
    assert ok.code == ExitCode.ok, ok.stdout
    line = ok.line("Mailbox (imap)")
    assert line.ok and "ingelogd" in line.detail and "SMTP" in line.detail

    wrong = check(tmp_path, cfg, env={"MAATWERK_IMAP_PASSWORD": "fout-wachtwoord"})
    assert wrong.code == ExitCode.error
    assert wrong.failed() == ["Mailbox (imap)"], wrong.stdout
    assert "wachtwoord" in wrong.line("Mailbox").fix.lower()

    server.stop()
    stopped = check(tmp_path, cfg, env=good)
    assert stopped.code == ExitCode.error
    assert stopped.failed() == ["Mailbox (imap)"], stopped.stdout
    assert str(server.imap_port) in stopped.line("Mailbox").detail


@needs_dovecot
def test_send_test_mail_arrives_in_the_dovecot_inbox(server, tmp_path):
    cfg = _imap_config(tmp_path, server)
    result = check(
        tmp_path,
        cfg,
        "--send-test",
        ICM,
        env={"MAATWERK_IMAP_PASSWORD": mailserver.PASSWORD},
    )
    assert result.code == ExitCode.ok, result.stdout
    assert result.line(f"Testmail aan {ICM}").ok
    [mail] = [parse(m) for m in server.messages(ICM)]
    assert str(mail["Subject"]) == "Testbericht van maatwerk"
    assert INKOOP in str(mail["From"])
    assert "maatwerk check" in mail.get_body(("plain",)).get_content()

    server.stop_smtp()  # IMAP still there: the login check and the test mail fail
    no_smtp = check(
        tmp_path,
        cfg,
        "--send-test",
        ICM,
        env={"MAATWERK_IMAP_PASSWORD": mailserver.PASSWORD},
    )
    assert no_smtp.code == ExitCode.error
    assert no_smtp.failed() == ["Mailbox (imap)", f"Testmail aan {ICM}"]
    assert "SMTP-server" in no_smtp.line("Testmail").detail
    assert "[smtp]" in no_smtp.line("Testmail").fix
    assert len(server.messages(ICM)) == 1


# --- PostgreSQL -----------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not pgserver.available(),
    reason="PostgreSQL not installed (scripts/setup-system --tests)",
)


def _fresh_database() -> str:
    from tests.conftest import postgres

    return postgres().create_database("check" + uuid.uuid4().hex[:10])


@needs_postgres
def test_postgres_fresh_then_made_then_from_a_newer_version(tmp_path):
    from sqlalchemy import create_engine, text

    from pipeline.config import StoreSettings
    from pipeline.store import open_store

    url = _fresh_database()
    cfg = write_config(tmp_path, {"store": {"url": url}})

    fresh = check(tmp_path, cfg)
    assert fresh.code == ExitCode.ok, fresh.stdout
    assert "nog geen tabellen" in fresh.line("Database").detail

    open_store(StoreSettings(url=url)).close()
    made = check(tmp_path, cfg)
    assert made.code == ExitCode.ok, made.stdout
    assert "actueel" in made.line("Database").detail

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    finally:
        engine.dispose()
    newer = check(tmp_path, cfg)
    assert newer.code == ExitCode.error
    assert newer.failed() == ["Database"], newer.stdout
    line = newer.line("Database")
    assert "nieuwere versie" in line.detail and "ffff_future" in line.detail


@needs_postgres
def test_postgres_wrong_port_then_stopped(tmp_path):
    wrong = write_config(
        tmp_path,
        {"store": {"url": f"postgresql+psycopg://maatwerk@127.0.0.1:{free_port()}/x"}},
    )
    away = check(tmp_path, wrong)
    assert away.code == ExitCode.error
    assert away.failed() == ["Database"], away.stdout
    assert "niet bereikbaar" in away.line("Database").detail

    own = pgserver.PostgresServer().start()
    try:
        url = own.create_database("check")
        cfg = write_config(tmp_path, {"store": {"url": url}})
        assert check(tmp_path, cfg).code == ExitCode.ok
        own.halt()
        stopped = check(tmp_path, cfg)
    finally:
        own.stop()
    assert stopped.code == ExitCode.error
    assert stopped.failed() == ["Database"], stopped.stdout
    assert "niet bereikbaar" in stopped.line("Database").detail
    assert "databaseserver" in stopped.line("Database").fix


# --- Microsoft Graph (local server) ---------------------------------------------------


def _graph_config(root: Path, fake) -> Path:
    from tests.fake_graph import TENANT

    return write_config(
        root,
        {
            "mailbox": {"backend": "graph"},
            "graph": {
                "tenant_id": TENANT,
                "client_id": "11111111-2222-3333-4444-555555555555",
                "authority": fake.base,
                "base_url": f"{fake.base}/v1.0",
                "ca_bundle": str(fake.cert),
            },
        },
    )


def test_graph_ok_then_wrong_secret_then_stopped(tmp_path):
    from tests.fake_graph import FakeGraph

    fake = FakeGraph().start()
    try:
        cfg = _graph_config(tmp_path, fake)
        good = {"MAATWERK_GRAPH_SECRET": "app-secret-from-keyvault"}
        ok = check(tmp_path, cfg, env=good)
        assert ok.code == ExitCode.ok, ok.stdout
        line = ok.line("Mailbox (graph)")
        assert line.ok and "token gekregen" in line.detail
        assert any(p.endswith("/mailFolders/inbox") for _, p, _ in fake.requests)
        assert "mailbox 'graph'" in ok.line("Afzendercontrole").detail

        wrong = check(tmp_path, cfg, env={"MAATWERK_GRAPH_SECRET": "verkeerd"})
        assert wrong.code == ExitCode.error
        assert wrong.failed() == ["Mailbox (graph)"], wrong.stdout
        assert "token" in wrong.line("Mailbox").detail
    finally:
        fake.stop()
    stopped = check(tmp_path, cfg, env=good)
    assert stopped.code == ExitCode.error
    assert stopped.failed() == ["Mailbox (graph)"], stopped.stdout


# --- Exchange (EWS, local server) -----------------------------------------------------


def test_ews_ok_then_wrong_password_then_stopped(tmp_path):
    from tests.fake_ews import FakeEws

    fake = FakeEws().start()
    try:
        cfg = write_config(
            tmp_path,
            {
                "mailbox": {"backend": "ews"},
                "ews": {
                    "endpoint": fake.endpoint,
                    "username": fake.user,
                    "auth_type": "basic",
                    "server_build": "15.1",
                },
            },
        )
        good = {"MAATWERK_EWS_PASSWORD": fake.password}
        ok = check(tmp_path, cfg, env=good)
        assert ok.code == ExitCode.ok, ok.stdout
        line = ok.line("Mailbox (ews)")
        assert line.ok and "Postvak IN" in line.detail
        assert "GetFolder" in fake.operations

        wrong = check(tmp_path, cfg, env={"MAATWERK_EWS_PASSWORD": "verkeerd"})
        assert wrong.code == ExitCode.error
        assert wrong.failed() == ["Mailbox (ews)"], wrong.stdout
        assert "wachtwoord" in wrong.line("Mailbox").fix.lower()
    finally:
        fake.stop()
    stopped = check(tmp_path, cfg, env=good)
    assert stopped.code == ExitCode.error
    assert stopped.failed() == ["Mailbox (ews)"], stopped.stdout


# --- a region's own templates and profile ---------------------------------------------


def test_broken_region_templates_are_named(tmp_path):
    own = tmp_path / "sjablonen"
    (own / "mail").mkdir(parents=True)
    (own / "mail" / "adviesaanvraag.txt").write_text(
        "Onderwerp: Advies {% if %}\n\nTekst.\n", encoding="utf-8"
    )
    (own / "maatwerkovereenkomst.docx").write_text("geen Word-bestand\n")
    cfg = write_config(tmp_path, {"region": {"templates_dir": str(own)}})

    broken = check(tmp_path, cfg)
    assert broken.code == ExitCode.error
    assert sorted(broken.failed()) == ["Documentsjablonen", "Mailsjablonen"]
    assert "maatwerkovereenkomst.docx" in broken.line("Documentsjablonen").detail
    assert "adviesaanvraag.txt" in broken.line("Mailsjablonen").detail

    (own / "maatwerkovereenkomst.docx").unlink()
    (own / "mail" / "adviesaanvraag.txt").write_text(
        "Beste {{ naam }},\n\nGeen onderwerp bovenaan.\n", encoding="utf-8"
    )
    no_subject = check(tmp_path, cfg)
    assert no_subject.code == ExitCode.error
    assert no_subject.failed() == ["Mailsjablonen"], no_subject.stdout
    line = no_subject.line("Mailsjablonen")
    assert "adviesaanvraag.txt" in line.detail and "Onderwerp" in line.detail


def test_an_unknown_region_profile_is_a_fout(tmp_path):
    cfg = write_config(tmp_path, {"region": {"profile": "atlantis"}})
    result = check(tmp_path, cfg)
    assert result.code == ExitCode.error
    assert result.failed() == ["Regioprofiel 'atlantis'"], result.stdout
    assert "atlantis" in result.line("Regioprofiel").detail
