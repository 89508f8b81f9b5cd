"""What `maatwerk case`, `maatwerk inzage` and the web page Zaak show of one case: its
header, the record as read with its findings, the advices with their text, the
documents in the register, the mails on its thread and its history; and who processed
or viewed its personal data. Typed rows; the command line and the web page only show
them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Final, cast

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.models import Aanvraag, Melding
from pipeline.register.index import status_text
from pipeline.store.views import case_mails, received_on

# where a viewing through the command line is noted in the inzage log
CASE_COMMAND = "maatwerk case"
# the documents the backoffice registers the provider by (contract and Bijlage 2)
CONTRACT_DOCUMENTS: Final = ("contract", "getekend contract", "leveranciersformulier")
MAIL_TEXT_LIMIT: Final = 20_000  # characters of a mail's text shown


@dataclass(frozen=True)
class Event:
    at: datetime
    from_state: str | None
    to_state: str | None
    source: str
    what: str


@dataclass(frozen=True)
class AdviceView:
    rol: str
    stap: int
    oordeel: str
    toelichting: str | None
    afzender: str
    ontvangen: datetime


@dataclass(frozen=True)
class Document:
    """A file in the case's register folder; `soort` as its name says ("contract")."""

    naam: str
    soort: str
    path: Path


@dataclass(frozen=True)
class MailView:
    """A mail on the case's thread: sent by the product (`richting` "uit") or received
    (`richting` "in", with what became of it)."""

    richting: str
    at: datetime
    wat: str  # the kind of mail ("adviesaanvraag") or what became of a received one
    onderwerp: str | None
    aan: str | None
    verzonden: bool
    tekst: str | None


@dataclass(frozen=True)
class CaseView:
    zaak: str
    status: str  # in Dutch words
    gemeente: str | None
    aanbieder: str | None
    received_at: datetime
    spoed: bool
    deadline: date | None
    register_dir: str | None
    meldingen: list[Melding]
    events: list[Event]
    record: Aanvraag | None
    startdatum: date | None
    einddatum: date | None
    advices: list[AdviceView]
    documents: list[Document]
    mails: list[MailView]


@dataclass(frozen=True)
class InzageRow:
    at: datetime
    wie: str
    actie: str
    reden: str
    bron: str | None


def view_case(
    s: Session, case_id: str, *, wie: str, reden: str, bron: str = CASE_COMMAND
) -> CaseView:
    """The case as `maatwerk case` and the web page show it; the viewing is noted in
    the inzage log (by `wie`, for `reden`, through `bron`) in the same transaction.

    Raises CaseNotFound when there is no such case."""
    c = store.get_case(s, case_id)
    store.log_access(s, c.id, wie=wie, actie="bekeken", reden=reden, bron=bron)
    return CaseView(
        zaak=c.id,
        status=status_text(c.state),
        gemeente=c.gemeente,
        aanbieder=c.aanbieder,
        received_at=c.received_at,
        spoed=c.spoed,
        deadline=c.deadline,
        register_dir=c.register_dir,
        meldingen=c.meldingen,
        events=[
            Event(e.at, e.from_state, e.to_state, e.source, e.what) for e in c.events
        ],
        record=c.record,
        startdatum=c.startdatum,
        einddatum=c.einddatum,
        advices=[
            AdviceView(a.rol, a.stap, a.oordeel, a.toelichting, a.sender, a.received_at)
            for a in c.advices
        ],
        documents=documents(c.id, c.register_dir),
        mails=_mails(s, c.id),
    )


def documents(case_id: str, register_dir: str | None) -> list[Document]:
    """The case's files in the register, by name (date first)."""
    folder = Path(register_dir) if register_dir else None
    if folder is None or not folder.is_dir():
        return []
    # "2027-01-04 contract MW-2027-0012 v2.pdf": date, kind, case number, version
    named = re.compile(rf"\d{{4}}-\d\d-\d\d (.+) {re.escape(case_id)}( v\d+)?")
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and (m := named.fullmatch(path.stem)):
            found.append(Document(path.name, m.group(1), path))
    return found


def _mails(s: Session, case_id: str) -> list[MailView]:
    out = [
        MailView("in", r.at, r.outcome, None, None, True, None)
        for r in received_on(s, case_id)
    ]
    for m in case_mails(s, case_id):
        msg = cast(EmailMessage, message_from_bytes(m.raw, policy=policy.default))
        body = msg.get_body(("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else None
        out.append(
            MailView(
                "uit",
                m.sent_at or m.created_at,
                m.kind,
                str(msg.get("Subject", "")),
                m.recipients,
                m.sent_at is not None,
                text[:MAIL_TEXT_LIMIT] if text else None,
            )
        )
    return sorted(out, key=lambda v: store.aware(v.at))


def inzage_log(s: Session, case_id: str) -> list[InzageRow]:
    """Who processed or viewed the case's personal data, oldest first.

    Raises CaseNotFound when there is no such case."""
    c = store.get_case(s, case_id)
    return [
        InzageRow(r.at, r.wie, r.actie, r.reden, r.bron) for r in store.inzage(s, c.id)
    ]
