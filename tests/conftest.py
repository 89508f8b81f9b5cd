"""Shared fixtures: a pipeline on embedded defaults in a temporary folder, with helpers
to mail it as referrers and advisers do and to read what each party's Maildir received.
"""

from __future__ import annotations

import io
import mailbox
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import pytest
from docx import Document

from pipeline.config import Settings
from pipeline.mail import MaildirPostOffice
from pipeline.workflow.pipeline import Pipeline

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
INKOOP = "inkoop@zorginzou.nl"
ICM = "icm@zorginzou.nl"
BACKOFFICE = "backoffice@zorginzou.nl"
ZEIST_BA = "p.smit@zeist.nl"
# Thursday 11 March 2027, 11:36 in Amsterdam: 5 working days → Thursday 18 March
THURSDAY = datetime(2027, 3, 11, 10, 36, tzinfo=UTC)


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} not found (../shared/samples)")
    return path


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


def attachment_names(msg: EmailMessage) -> list[str]:
    return [p.get_filename() for p in msg.iter_attachments()]


def attachment(msg: EmailMessage, suffix: str) -> bytes:
    for p in msg.iter_attachments():
        if (p.get_filename() or "").endswith(suffix):
            return p.get_payload(decode=True)
    raise AssertionError(f"no attachment ending in {suffix}: {attachment_names(msg)}")


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def pdf_text(content: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def mail_with_form(
    sender: str,
    subject: str,
    filename: str,
    content: bytes,
    body: str = "Zie bijlage.",
    cc: str | None = None,
    to: str = INKOOP,
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="gemeente.test")
    msg.set_content(body)
    if content:
        msg.add_attachment(
            content,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=filename,
        )
    return msg.as_bytes()


def reply_to(
    original: EmailMessage,
    sender: str,
    body: str,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = INKOOP
    msg["Subject"] = "RE: " + str(original["Subject"])
    msg["Message-ID"] = make_msgid(domain="gemeente.test")
    msg["In-Reply-To"] = original["Message-ID"]
    msg["References"] = " ".join(
        x for x in (str(original.get("References", "")), original["Message-ID"]) if x
    )
    quoted = "\n".join(
        f"{line}" for line in original.get_body(("plain",)).get_content().splitlines()
    )
    msg.set_content(
        f"{body}\n\nVan: {original['From']}\nVerzonden: donderdag\nOnderwerp:"
        f" {original['Subject']}\n\n{quoted}\n"
    )
    for name, content in attachments or []:
        msg.add_attachment(
            content, maintype="application", subtype="pdf", filename=name
        )
    return msg.as_bytes()


@dataclass
class Env:
    root: Path
    settings: Settings
    office: MaildirPostOffice
    pipeline: Pipeline

    def deliver(self, raw: bytes, at: datetime = THURSDAY) -> None:
        msg = mailbox.MaildirMessage(raw)
        msg.set_date(at.timestamp())
        self.office.maildir(INKOOP).add(msg)

    def run(self):
        return self.pipeline.handle_inbox()

    def inbox(self, address: str) -> list[EmailMessage]:
        md = self.office.maildir(address)
        msgs = [parse(md.get_bytes(k)) for k in md.iterkeys()]
        return sorted(msgs, key=lambda m: str(m["Date"]))

    def folder(self, address: str, name: str) -> list[EmailMessage]:
        md = self.office.maildir(address)
        if name not in md.list_folders():
            return []
        f = md.get_folder(name)
        return [parse(f.get_bytes(k)) for k in f.iterkeys()]

    def register_files(self) -> list[Path]:
        return sorted(p for p in (self.root / "register").rglob("*") if p.is_file())


_PG = None


def postgres():
    """The tests' PostgreSQL server (tests/pgserver.py), started on first use, stopped
    at exit."""
    global _PG
    if _PG is None:
        import atexit

        from tests.pgserver import PostgresServer

        _PG = PostgresServer().start()
        atexit.register(_PG.stop)
    return _PG


def store_url(root: Path) -> str:
    """SQLite in the test's folder; with MAATWERK_TEST_STORE=postgres a fresh PostgreSQL
    database (scripts/test runs the flow tests both ways)."""
    if os.environ.get("MAATWERK_TEST_STORE") == "postgres":
        return postgres().create_database("t" + uuid.uuid4().hex[:12])
    return f"sqlite:///{root / 'maatwerk.db'}"


def make_settings(root: Path, profile: str = "zou") -> Settings:
    return Settings.model_validate(
        {
            "region": {"profile": profile},
            "store": {"url": store_url(root)},
            "mailbox": {"maildir_root": str(root / "mail")},
            "drop": {
                "path": str(root / "drop"),
                "stable_seconds": 0.2,
                "poll_seconds": 0.2,
            },
            "register": {"path": str(root / "register")},
        }
    )


def check_exchange_retention(settings: Settings, deliver, subjects) -> None:
    """For the Graph and EWS backends: a refused request and an open one; three and a
    half years later retention removes the refused case's mails (received and sent) from
    the Exchange mailbox and leaves the open case's. `subjects()` lists the subjects of
    the mails kept there.
    """
    from pipeline import store

    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        deliver(
            mail_with_form(
                "r.jansen@zeist.nl", "aanvraag", "kapot.docx", b"PK\x03\x04 kapot"
            )
        )  # refused
        deliver(sample("mail-submission.eml").read_bytes())  # stays open
        pipeline.handle_inbox()
        before = subjects()
        assert "aanvraag" in before and any("MW-2027-0001" in s for s in before), before
    finally:
        pipeline.close()
    later = Pipeline(settings, clock=lambda: datetime(2030, 10, 15, 9, 0, tzinfo=UTC))
    try:
        result = later.opschonen()
        assert (
            result.cases == ["MW-2027-0001"] and result.mails == 2
        )  # the request and its refusal
        left = subjects()
        assert not any(s == "aanvraag" or "MW-2027-0001" in s for s in left), left
        assert any("MW-2027-0002" in s for s in left)  # the open case's mails stay
        with later.store.session() as s:
            assert (
                "bewaarbeleid van Exchange"
                not in store.get_case(s, "MW-2027-0001").events[-1].what
            )
    finally:
        later.close()


@pytest.fixture
def env(tmp_path: Path):
    settings = make_settings(tmp_path)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    yield Env(
        root=tmp_path,
        settings=settings,
        office=MaildirPostOffice(tmp_path / "mail"),
        pipeline=pipeline,
    )
    pipeline.close()


@pytest.fixture
def server(monkeypatch):
    """Real Dovecot (IMAP, LMTP) and an SMTP server on loopback with the usual parties'
    mailboxes (tests/mailserver.py)."""
    from tests import mailserver

    srv = mailserver.MailServer(
        [INKOOP, ICM, ZEIST_BA, BACKOFFICE, "e.vandijk@zeist.nl"]
    ).start()
    monkeypatch.setenv("MAATWERK_IMAP_PASSWORD", mailserver.PASSWORD)
    yield srv
    srv.cleanup()


@pytest.fixture(autouse=True)
def _no_config_file_from_cwd(monkeypatch, tmp_path):
    """Tests never pick up a developer's ./maatwerk.toml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    os.environ.pop("MAATWERK_CONFIG", None)


def pytest_collection_modifyitems(config, items):
    """Slow trials (`@pytest.mark.slow`) run only when asked: `pytest -m slow` or
    MAATWERK_SLOW=1."""
    if (
        "slow" in (config.getoption("-m") or "")
        or os.environ.get("MAATWERK_SLOW") == "1"
    ):
        return
    skip = pytest.mark.skip(reason="slow trial: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
