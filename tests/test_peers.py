"""Other projects' test files (../shared/peers: pdfplumber, pypdf, paperless-ngx,
python-docx, CPython's e-mail tests), none of them a request form: each file is refused
with one Dutch reason, and as mail each ends as a case or in Quarantaine with an answer
— no crash, no hang, nothing left in the inbox, nothing dropped without a word."""

from __future__ import annotations

import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import UnreadableForm
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_file
from tests.conftest import INKOOP, REPO

PEERS = REPO.parent / "shared" / "peers"
DOCUMENTS = sorted(
    p
    for kind in ("pdf", "docx")
    for p in (PEERS / kind).rglob("*")
    if p.is_file() and p.suffix.lower() in (".pdf", ".docx", ".doc", ".odt")
)
MAILS = sorted(
    p
    for p in (PEERS / "eml").rglob("*")
    if p.is_file() and p.suffix.lower() in (".eml", ".txt")
)

pytestmark = pytest.mark.skipif(not PEERS.is_dir(), reason="../shared/peers not found")


def test_every_document_is_refused_with_one_dutch_reason():
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    outcomes: dict[str, list[str]] = {"geweigerd": [], "anders": []}
    slowest = 0.0
    for path in DOCUMENTS:
        started = time.monotonic()
        try:
            extract_file(path, mappings)
            outcomes["anders"].append(f"{path.name}: read as a form")
        except UnreadableForm as exc:
            assert (
                exc.melding
                and "\n" not in exc.melding
                and "Traceback" not in exc.melding
            ), path
            outcomes["geweigerd"].append(path.name)
        except Exception as exc:  # NotReadAutomatically (a fault of ours) or a crash
            outcomes["anders"].append(f"{path.name}: {type(exc).__name__}")
        slowest = max(slowest, time.monotonic() - started)
    print(
        f"peers: {len(outcomes['geweigerd'])} of {len(DOCUMENTS)} refused, slowest"
        f" {slowest:.1f} s"
    )
    assert len(DOCUMENTS) > 200
    assert outcomes["anders"] == []
    assert (
        slowest < Settings().limits.wall_seconds + 10
    )  # nothing holds the next mail up longer than the limit


def _with_attachment(path: Path, i: int) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = f"verwijzer{i}@zeist.nl"
    msg["To"] = INKOOP
    msg["Subject"] = f"aanvraag {i}"
    msg["Message-ID"] = make_msgid(domain="peers.test")
    msg.set_content("Zie bijlage.")
    msg.add_attachment(
        path.read_bytes(),
        maintype="application",
        subtype="octet-stream",
        filename=path.name,
    )
    return msg.as_bytes()


def test_every_peer_file_as_mail_ends_as_a_case_or_in_quarantine_with_an_answer(env):
    raws = [p.read_bytes() for p in MAILS] + [
        _with_attachment(p, i) for i, p in enumerate(DOCUMENTS)
    ]
    for raw in raws:
        env.deliver(raw)
    for _ in range(
        env.settings.intake.max_pogingen + 1
    ):  # a mail that fails is tried again, then set aside
        env.run()
    assert env.inbox(INKOOP) == []  # nothing stuck
    handled = len(env.folder(INKOOP, "Verwerkt")) + len(
        env.folder(INKOOP, "Quarantaine")
    )
    assert handled == len(raws)  # nothing dropped
    with env.pipeline.store.session() as s:
        from pipeline import store

        cases = s.query(store.Case).count()
        unsent = len(store.unsent_mails(s))
    assert unsent == 0
    answered = [
        m
        for box in (env.root / "mail").iterdir()
        if box.is_dir() and box.name != INKOOP
        for m in env.inbox(box.name)
    ]
    # every document mail got its refusal; every mail in quarantine with a sender got an
    # answer
    senders = {f"verwijzer{i}@zeist.nl" for i in range(len(DOCUMENTS))}
    assert all(env.inbox(a) for a in senders), [a for a in senders if not env.inbox(a)][
        :5
    ]
    print(
        f"peers as mail: {len(raws)} mails, {cases} cases,"
        f" {len(env.folder(INKOOP, 'Quarantaine'))} in Quarantaine, {len(answered)}"
        " answers"
    )
