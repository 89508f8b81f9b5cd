"""The store's schema: the ORM tables and the column types they share.

The tables are made and changed only by the Alembic migrations in `migrations/`
(applied when the store opens); these classes mirror them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipeline.models import Aanvraag, Melding

log = logging.getLogger(f"maatwerk.{__name__}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment with its zone (SQLite gives it back without; it is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Bounded(TypeDecorator[str]):
    """A text column of at most `length` characters, on every store alike: a longer
    value (a 5000-character provider name, a 2000-character From) is cut at the store
    boundary, where PostgreSQL would refuse it (DataError) and SQLite would keep it
    whole; NUL removed (PostgreSQL text cannot hold it). Keys are kept short by
    construction (intake), never by this cut.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = str(value).replace("\x00", "")
        length = getattr(self.impl_instance, "length", None)
        return value[:length] if length else value


class Tekst(TypeDecorator[str]):
    """Unbounded text, NUL removed (PostgreSQL text cannot hold it)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value).replace("\x00", "")


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[str] = mapped_column(Bounded(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(Bounded(32), index=True)
    gemeente: Mapped[str | None] = mapped_column(Bounded(100))
    aanbieder: Mapped[str | None] = mapped_column(Bounded(200))
    spoed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date | None] = mapped_column(Date)
    sender: Mapped[str | None] = mapped_column(Bounded(320))
    source: Mapped[str] = mapped_column(Bounded(10))
    source_ref: Mapped[str] = mapped_column(Bounded(500))
    form_filename: Mapped[str | None] = mapped_column(Bounded(300))
    form_sha256: Mapped[str | None] = mapped_column(Bounded(64), unique=True)
    zorgned_nummer: Mapped[str | None] = mapped_column(Bounded(20), index=True)
    startdatum: Mapped[date | None] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    productcode: Mapped[str | None] = mapped_column(
        Bounded(10)
    )  # the contract's (maatwerk) code
    waarde: Mapped[str | None] = mapped_column(
        Bounded(20)
    )  # maximum total value, Decimal as text
    ondertekenaar: Mapped[str | None] = mapped_column(Bounded(100))
    getekend_op: Mapped[date | None] = mapped_column(Date)
    stap: Mapped[int] = mapped_column(
        Integer, default=0
    )  # index into the region's applicable steps
    stap_sinds: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adviseurs_json: Mapped[str | None] = mapped_column(
        Tekst
    )  # {role: [addresses]} asked in this step
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    vorige_zaak: Mapped[str | None] = mapped_column(
        Bounded(20)
    )  # verlenging of this earlier case
    # the role whose question awaits the referrer; once approved, who is asked for
    # missing data (verwijzer/icm)
    vraag_van: Mapped[str | None] = mapped_column(Bounded(40))
    record_json: Mapped[str | None] = mapped_column(Tekst)
    meldingen_json: Mapped[str] = mapped_column(Tekst, default="[]")
    register_dir: Mapped[str | None] = mapped_column(Bounded(500))
    opgeschoond_op: Mapped[date | None] = mapped_column(
        Date
    )  # personal data removed (retention)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    events: Mapped[list[AuditEvent]] = relationship(
        order_by="AuditEvent.id", back_populates="case"
    )
    advices: Mapped[list[AdviceRow]] = relationship(
        order_by="AdviceRow.id", back_populates="case"
    )

    @property
    def record(self) -> Aanvraag | None:
        return (
            Aanvraag.model_validate_json(self.record_json) if self.record_json else None
        )

    @property
    def adviseurs(self) -> dict[str, list[str]]:
        return json.loads(self.adviseurs_json) if self.adviseurs_json else {}

    @property
    def meldingen(self) -> list[Melding]:
        return [
            Melding.model_validate(m) for m in json.loads(self.meldingen_json or "[]")
        ]


class AuditEvent(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    from_state: Mapped[str | None] = mapped_column(Bounded(32))
    to_state: Mapped[str | None] = mapped_column(Bounded(32))
    source: Mapped[str] = mapped_column(
        Bounded(500)
    )  # Message-ID of the mail, file name, or 'cli'
    what: Mapped[str] = mapped_column(Tekst)

    case: Mapped[Case] = relationship(back_populates="events")


class Inzage(Base):
    """Who processed or viewed a case's personal data, when and why. Append-only (the
    database refuses UPDATE and DELETE, migration 0007); kept when the case's data are
    removed.
    """

    __tablename__ = "inzage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    case_id: Mapped[str] = mapped_column(Bounded(20), index=True)
    wie: Mapped[str] = mapped_column(
        Bounded(200)
    )  # a worker (maatwerk@host:pid) or a person's login
    actie: Mapped[str] = mapped_column(
        Bounded(40)
    )  # verwerkt, bekeken, rapport, opgeschoond
    reden: Mapped[str] = mapped_column(Tekst)
    bron: Mapped[str | None] = mapped_column(
        Bounded(500)
    )  # Message-ID, file or command


class AdviceRow(Base):
    __tablename__ = "advices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    rol: Mapped[str] = mapped_column(Bounded(32))
    stap: Mapped[int] = mapped_column(Integer, default=0)
    icode: Mapped[str | None] = mapped_column(Bounded(20))
    oordeel: Mapped[str] = mapped_column(Bounded(16))
    toelichting: Mapped[str | None] = mapped_column(Tekst)
    productcode: Mapped[str | None] = mapped_column(Bounded(10))
    tarief_bedrag: Mapped[str | None] = mapped_column(Bounded(20))
    tarief_eenheid: Mapped[str | None] = mapped_column(Bounded(10))
    sender: Mapped[str] = mapped_column(Bounded(320))
    message_id: Mapped[str | None] = mapped_column(Bounded(500))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    case: Mapped[Case] = relationship(back_populates="advices")


class ReportRun(Base):
    """A scheduled report sent for a period (e.g. 'verlopend' for '2027-W03'): sent
    once."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("report", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report: Mapped[str] = mapped_column(Bounded(40))
    period: Mapped[str] = mapped_column(Bounded(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseCounter(Base):
    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Received(Base):
    """Every mail or file taken in, by a key that does not depend on the server
    (Paperless-style)."""

    __tablename__ = "received"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(Bounded(600), unique=True)
    source: Mapped[str] = mapped_column(Bounded(10))
    source_ref: Mapped[str] = mapped_column(Bounded(500))
    case_id: Mapped[str | None] = mapped_column(Bounded(20), index=True)
    outcome: Mapped[str] = mapped_column(Bounded(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMail(Base):
    """A mail queued in the same transaction as the change that causes it; sent
    afterwards."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(Bounded(500), unique=True)
    case_id: Mapped[str | None] = mapped_column(Bounded(20), index=True)
    kind: Mapped[str] = mapped_column(Bounded(40))
    recipients: Mapped[str] = mapped_column(
        Tekst
    )  # comma separated, for status and matching
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Tekst)
    claimed_by: Mapped[str | None] = mapped_column(
        Bounded(200)
    )  # the worker sending it now
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Worker(Base):
    """A running `maatwerk run`: when it was last seen and what it waits on during an
    outage."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(Bounded(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    waiting_on: Mapped[str | None] = mapped_column(Bounded(200))
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Lease(Base):
    """A mail or file being handled by one worker; others leave it alone until the lease
    ends (handled, or its worker died: expired, or on this host no longer running)."""

    __tablename__ = "leases"

    key: Mapped[str] = mapped_column(Bounded(600), primary_key=True)
    holder: Mapped[str] = mapped_column(Bounded(200))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MailAttempt(Base):
    """A mail (by its dedupe key) whose handling began and did not end in a stored
    outcome: how often it was tried, how often it failed, the last error (type and
    place, never its message), the outage it waits on, and when it was set aside in
    Quarantaine as a poison mail. Deleted in the transaction that stores the mail's
    outcome."""

    __tablename__ = "pogingen"

    key: Mapped[str] = mapped_column(Bounded(600), primary_key=True)
    attempts: Mapped[int] = mapped_column(
        Integer, default=0
    )  # begun (a crash mid-way counts too)
    failures: Mapped[int] = mapped_column(
        Integer, default=0
    )  # ended in an error of ours
    last_error: Mapped[str | None] = mapped_column(Bounded(200))
    waiting_on: Mapped[str | None] = mapped_column(
        Bounded(200)
    )  # an outage: "de registermap"
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    set_aside_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuarantineAction(Base):
    """A held mail taken back, released or deleted: by whom, when and why. Append-only
    (migration 0009)."""

    __tablename__ = "quarantaine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dedupe_key: Mapped[str] = mapped_column(
        Bounded(600), index=True
    )  # as in `received`
    actie: Mapped[str] = mapped_column(Bounded(40))
    wie: Mapped[str] = mapped_column(Bounded(200))  # a person's login, or a worker
    reden: Mapped[str | None] = mapped_column(Tekst)
