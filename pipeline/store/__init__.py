"""The case store: cases, their audit trail, received items and the outgoing-mail
outbox.

SQLAlchemy 2; the schema is owned by the Alembic migrations in `pipeline/migrations`
(applied on open). A case changes state only through `transition`, which writes the
audit row in the same transaction: no transition without its record.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config as AlembicConfig
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
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from pipeline import crashpoints
from pipeline.errors import AlreadyRunning, CaseNotFound, ConfigError, InvalidTransition
from pipeline.models import Aanvraag, Melding
from pipeline.register.folder import DIR_MODE, FILE_MODE
from pipeline.states import ALLOWED, OPEN_STATES, CaseState, S


def utcnow() -> datetime:
    return datetime.now(UTC)


class Bounded(TypeDecorator):
    """A text column of at most `length` characters, on every store alike: a longer
    value (a 5000-character provider name, a 2000-character From) is cut at the store
    boundary, where PostgreSQL would refuse it (DataError) and SQLite would keep it
    whole; NUL removed (PostgreSQL text cannot hold it). Keys are kept short by
    construction (intake), never by this cut.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = str(value).replace("\x00", "")
        return value[: self.impl.length] if self.impl.length else value


class Tekst(TypeDecorator):
    """Unbounded text, NUL removed (PostgreSQL text cannot hold it)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
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
    case_id: Mapped[str | None] = mapped_column(Bounded(20))
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


# --- opening --------------------------------------------------------------------------


def _migrate(engine: Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction: a run killed while it makes the
            # schema would leave half of it ('table cases already exists' for ever
            # after). One transaction for the whole upgrade (SQLite's DDL is
            # transactional); IMMEDIATE: two first starts take turns.
            dbapi = conn.connection.dbapi_connection
            if not dbapi.in_transaction:
                dbapi.execute("BEGIN IMMEDIATE")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    def __init__(self, url: str, password: str | None = None):
        u = make_url(url)
        if u.password:
            raise ConfigError(
                "Zet het wachtwoord van de database niet in de store-URL van het"
                " configuratiebestand, maar in de omgeving ([store] password_env) of in"
                " ~/.pgpass."
            )
        if password:
            u = u.set(password=password)
        self.backend = u.get_backend_name()
        if self.backend == "sqlite" and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(u, pool_pre_ping=True)
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "savepoint", _sqlite_savepoint_in_transaction)
        _migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions() as s, s.begin():
            yield s

    def checkpoint(self) -> None:
        """SQLite: fold the write-ahead log into the database file and empty it (after
        removing personal data, so no older copy of a page stays behind in the log)."""
        if self.backend == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def sole_worker(url: str) -> Iterator[None]:
    """SQLite serves one worker: a second `maatwerk run` on the same file stops with a
    clear message instead of fighting over the database. PostgreSQL: no limit."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(u.database).with_name(Path(u.database).name + ".run.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"Er draait al een 'maatwerk run' op de database {u.database}. Met"
                " SQLite werkt één verwerker tegelijk; meerdere verwerkers vragen"
                " PostgreSQL ([store] url)."
            )
        yield


def open_store(cfg) -> Store:
    """The store of a `[store]` config section; the password comes from the environment.

    An SQLite file is for owner and group only, like the register: it is made with that
    mode before SQLite opens it (SQLite gives its -wal and -shm files the database
    file's mode), and one made world-readable by an older version is corrected."""
    u = make_url(cfg.url)
    if (
        u.get_backend_name() == "sqlite"
        and u.database
        and u.database != ":memory:"
        and not u.database.startswith("file:")
    ):
        db = Path(u.database)
        db.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        for path in (
            db,
            db.with_name(db.name + "-wal"),
            db.with_name(db.name + "-shm"),
        ):
            try:
                if path.stat().st_mode & 0o007:
                    os.chmod(path, FILE_MODE)
            except (
                FileNotFoundError,
                PermissionError,
            ):  # not there yet, or another user's file
                pass
    return Store(cfg.url, password=os.environ.get(cfg.password_env) or None)


def _sqlite_savepoint_in_transaction(conn, _name) -> None:
    """pysqlite begins a transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT as
    the first write of a session (`begin_nested`) would open a transaction of its own,
    and its RELEASE would commit it — ahead of the work it guards. BEGIN first, so the
    savepoint nests in the session's transaction. (Not SQLAlchemy's recipe of BEGIN for
    every transaction: a transaction that reads first and writes later then fails at
    once with SQLITE_BUSY when another connection wrote in between, and this process's
    outbox sender writes all the time.)"""
    dbapi_conn = conn.connection.dbapi_connection
    if not dbapi_conn.in_transaction:
        dbapi_conn.execute("BEGIN")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute(
        "PRAGMA secure_delete=ON"
    )  # removed personal data are overwritten, not left in free pages
    cur.close()


# --- cases ----------------------------------------------------------------------------


def next_case_id(s: Session, year: int) -> tuple[str, int]:
    """The next number of the year. The UPDATE locks the counter row until the
    transaction ends, so concurrent workers get consecutive numbers; the year's first
    row is made race-free.
    """
    s.execute(
        _insert(s)(CaseCounter).values(year=year, last=0).on_conflict_do_nothing()
    )
    row = s.execute(
        update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    ).scalar_one()
    return f"MW-{year}-{row:04d}", row


def _insert(s: Session):
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def create_case(
    s: Session,
    *,
    received_at: datetime,
    year: int,
    source: str,
    source_ref: str,
    sender: str | None,
    form_filename: str | None,
    what: str,
    form_sha256: str | None = None,
) -> Case:
    """A new case numbered in `year`: the year of the region's own calendar on the day
    it came in."""
    case_id, seq = next_case_id(s, year)
    case = Case(
        id=case_id,
        year=year,
        seq=seq,
        state=S.ontvangen.value,
        received_at=received_at,
        source=source,
        source_ref=source_ref[:500],
        sender=sender,
        form_filename=form_filename,
        form_sha256=form_sha256,
    )
    s.add(case)
    s.flush()
    s.add(
        AuditEvent(
            case_id=case_id,
            from_state=None,
            to_state=S.ontvangen.value,
            source=source_ref[:500],
            what=what,
        )
    )
    return case


def transition(
    s: Session, case: Case, to: CaseState, *, source: str, what: str
) -> None:
    current = CaseState(case.state)
    if to not in ALLOWED[current]:
        raise InvalidTransition(
            f"Zaak {case.id} kan niet van '{current.value}' naar '{to.value}'."
        )
    s.add(
        AuditEvent(
            case_id=case.id,
            from_state=current.value,
            to_state=to.value,
            source=source[:500],
            what=what,
        )
    )
    case.state = to.value
    case.updated_at = utcnow()


def note(s: Session, case: Case, *, source: str, what: str) -> None:
    """An audit entry that changes no state (advice received, mail not accepted, ...)."""
    s.add(
        AuditEvent(
            case_id=case.id,
            from_state=case.state,
            to_state=case.state,
            source=source[:500],
            what=what,
        )
    )
    case.updated_at = utcnow()


def log_access(
    s: Session,
    case_ids,
    *,
    actie: str,
    reden: str,
    bron: str | None = None,
    wie: str | None = None,
) -> None:
    """Record that `wie` (default: this worker) processed or viewed these cases'
    personal data."""
    wie = wie or worker_actor()
    for case_id in dict.fromkeys([case_ids] if isinstance(case_ids, str) else case_ids):
        s.add(
            Inzage(
                case_id=case_id,
                wie=wie[:200],
                actie=actie,
                reden=reden,
                bron=(bron or "")[:500] or None,
            )
        )


def inzage(s: Session, case_id: str) -> list[Inzage]:
    return list(
        s.scalars(select(Inzage).where(Inzage.case_id == case_id).order_by(Inzage.id))
    )


def earlier_case(
    s: Session,
    zorgned_nummer: str | None,
    aanbieder: str | None,
    exclude: str,
) -> Case | None:
    """The latest earlier case of the same client with the same provider (a verlenging),
    if any."""
    if not zorgned_nummer or not aanbieder:
        return None
    from rapidfuzz import fuzz

    for c in reversed(cases_of_client(s, zorgned_nummer, exclude)):
        if (
            c.aanbieder
            and fuzz.token_sort_ratio(c.aanbieder.lower(), aanbieder.lower()) >= 90
        ):
            return c
    return None


def cases_of_client(s: Session, zorgned_nummer: str, exclude: str) -> list[Case]:
    """Earlier cases of the same client that were not refused or turned down."""
    return list(
        s.scalars(
            select(Case)
            .where(
                Case.zorgned_nummer == zorgned_nummer,
                Case.id != exclude,
                Case.state.not_in([S.geweigerd.value, S.negatief.value]),
            )
            .order_by(Case.id)
        )
    )


def claim_once(s: Session, kind: str, key: str) -> bool:
    """Record that something is done once (a report for a week, a reminder for an
    adviser); False when it was done already — held by a unique constraint, not by
    query-then-insert. The claim is part of the caller's transaction: it commits with
    the work it guards, so a crash before that commit leaves it unclaimed and the next
    run does the work."""
    claimed = s.execute(
        _insert(s)(ReportRun)
        .values(report=kind, period=key[:40], at=utcnow())
        .on_conflict_do_nothing()
        .returning(ReportRun.id)
    ).scalar()
    crashpoints.reached("after_claim")  # claimed, the work not yet committed
    return claimed is not None


def owing(s: Session, case: Case) -> dict[str, list[str]]:
    """Who was asked in the case's current step and has not answered yet: {role:
    addresses}."""
    answered = {row.rol for row in case.advices if row.stap == case.stap}
    return {
        role: addresses
        for role, addresses in case.adviseurs.items()
        if role not in answered
    }


def lock_case(s: Session, case_id: str) -> Case:
    """The case, locked for this transaction (PostgreSQL: row lock; a second worker
    handling a reply to the same case waits and then sees this one's changes; SQLite has
    one writer anyway).
    """
    return _found(
        s.scalar(
            select(Case)
            .where(Case.id == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ),
        case_id,
    )


def get_case(s: Session, case_id: str) -> Case:
    return _found(s.get(Case, case_id.strip().upper()), case_id)


def _found(case: Case | None, case_id: str) -> Case:
    if case is None:
        raise CaseNotFound(f"Zaak {case_id} bestaat niet.")
    return case


def open_cases(s: Session) -> list[Case]:
    return list(
        s.scalars(select(Case).where(Case.state.in_(OPEN_STATES)).order_by(Case.id))
    )


# --- received items and outbox
# ---------------------------------------------------------


def case_with_form(s: Session, sha256: str) -> Case | None:
    return s.scalar(select(Case).where(Case.form_sha256 == sha256))


def already_received(s: Session, key: str) -> Received | None:
    return s.scalar(select(Received).where(Received.dedupe_key == key))


def record_received(
    s: Session,
    *,
    key: str,
    source: str,
    source_ref: str,
    case_id: str | None,
    outcome: str,
) -> None:
    s.add(
        Received(
            dedupe_key=key,
            source=source,
            source_ref=source_ref[:500],
            case_id=case_id,
            outcome=outcome,
        )
    )


def queue_mail(
    s: Session,
    *,
    message_id: str,
    raw: bytes,
    kind: str,
    recipients: list[str],
    case_id: str | None,
) -> None:
    s.add(
        OutboxMail(
            message_id=message_id,
            raw=raw,
            kind=kind,
            recipients=", ".join(recipients),
            case_id=case_id,
        )
    )


def unsent_mails(s: Session) -> list[OutboxMail]:
    return list(
        s.scalars(
            select(OutboxMail)
            .where(OutboxMail.sent_at.is_(None))
            .order_by(OutboxMail.id)
        )
    )


def case_for_message_ids(s: Session, message_ids: list[str]) -> str | None:
    if not message_ids:
        return None
    return s.scalar(
        select(OutboxMail.case_id)
        .where(OutboxMail.message_id.in_(message_ids), OutboxMail.case_id.is_not(None))
        .limit(1)
    )


def case_mail_ids(s: Session, case_id: str) -> list[str]:
    return list(
        s.scalars(
            select(OutboxMail.message_id)
            .where(OutboxMail.case_id == case_id)
            .order_by(OutboxMail.id)
        )
    )


# --- several workers
# -------------------------------------------------------------------

_HOST = socket.gethostname()


def worker_actor() -> str:
    return f"maatwerk@{worker_id()}"


def worker_id() -> str:
    """This process as a lease holder: host and pid (a holder on this host whose pid is
    gone is known dead at once; one on another host only when its lease expires)."""
    return f"{_HOST}:{os.getpid()}"


def holder_gone(holder: str | None) -> bool:
    host, _, pid = (holder or "").rpartition(":")
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take_lease(
    s: Session, key: str, seconds: float, now: datetime | None = None
) -> bool:
    """Take the lease on `key` for this worker; False when a live worker holds it."""
    now = now or utcnow()
    me, until = worker_id(), now + timedelta(seconds=seconds)
    inserted = s.execute(
        _insert(s)(Lease)
        .values(key=key, holder=me, until=until)
        .on_conflict_do_nothing()
        .returning(Lease.key)
    ).scalar()
    if inserted is not None:
        return True
    current = s.scalar(select(Lease).where(Lease.key == key).with_for_update())
    if current is None:  # released meanwhile
        s.add(Lease(key=key, holder=me, until=until))
        s.flush()
        return True
    if not _free(current.holder, current.until, now):
        return False
    current.holder, current.until = me, until
    return True


def release_lease(s: Session, key: str) -> None:
    s.execute(delete(Lease).where(Lease.key == key, Lease.holder == worker_id()))


# --- attempts: a mail that keeps failing is set aside (poison mail)
# ----------------------


def begin_attempt(s: Session, key: str) -> MailAttempt:
    """One more attempt at the mail `key`, counted in the transaction that takes its
    lease: an attempt that kills the worker counts too."""
    now = utcnow()
    row = s.get(MailAttempt, key, with_for_update=True)
    if row is None:
        row = MailAttempt(key=key, attempts=0, failures=0, first_at=now)
        s.add(row)
    row.attempts += 1
    row.last_at = now
    s.flush()
    return row


def attempt_failed(s: Session, key: str, error: str) -> MailAttempt:
    """The attempt ended in an error of ours (`error`: its type and place, never its
    message)."""
    row = s.get(MailAttempt, key, with_for_update=True) or begin_attempt(s, key)
    row.failures += 1
    row.last_error, row.waiting_on, row.last_at = error[:200], None, utcnow()
    return row


def attempt_undone(s: Session, key: str, waiting_on: str | None = None) -> None:
    """The attempt does not count: an outage (`waiting_on`: what the mail waits on, as
    `maatwerk status` shows it) or another worker's conflicting commit."""
    row = s.get(MailAttempt, key, with_for_update=True)
    if row is None:
        row = MailAttempt(key=key, attempts=1, failures=0)
        s.add(row)
    row.attempts = max(0, row.attempts - 1)
    row.waiting_on, row.last_at = waiting_on, utcnow()


def attempt_done(s: Session, key: str) -> None:
    """The mail's outcome is stored (call in that transaction): nothing left to count."""
    s.execute(delete(MailAttempt).where(MailAttempt.key == key))


def set_aside(s: Session, key: str) -> None:
    row = s.get(MailAttempt, key, with_for_update=True) or begin_attempt(s, key)
    row.set_aside_at = row.last_at = utcnow()
    row.waiting_on = None


def forget_attempts(s: Session, keys: list[str]) -> None:
    """Mails taken back, released or deleted from Quarantaine start counting afresh."""
    if keys:
        s.execute(delete(MailAttempt).where(MailAttempt.key.in_(keys)))


def outage_over(s: Session) -> None:
    """A round ran without an outage: no mail waits on one any more."""
    s.execute(
        update(MailAttempt)
        .where(MailAttempt.waiting_on.is_not(None))
        .values(waiting_on=None)
    )


def waiting_mails(s: Session) -> list[MailAttempt]:
    """Mails left in the inbox by an outage, oldest first."""
    return list(
        s.scalars(
            select(MailAttempt)
            .where(MailAttempt.waiting_on.is_not(None))
            .order_by(MailAttempt.last_at)
        )
    )


def set_aside_mails(s: Session) -> list[MailAttempt]:
    """Mails set aside in Quarantaine after failing again and again (until staff take
    them on)."""
    return list(
        s.scalars(
            select(MailAttempt)
            .where(MailAttempt.set_aside_at.is_not(None))
            .order_by(MailAttempt.set_aside_at)
        )
    )


def heartbeat(s: Session, waiting_on: str | None = None) -> None:
    """This worker is alive; `waiting_on`: what an outage makes it wait for (None:
    working)."""
    now = utcnow()
    row = s.get(Worker, worker_id())
    if row is None:
        row = Worker(id=worker_id(), started_at=now)
        s.add(row)
    if waiting_on != row.waiting_on:
        row.waiting_since = now if waiting_on else None
    row.seen_at, row.waiting_on = now, waiting_on


def worker_stopped(s: Session) -> None:
    s.execute(delete(Worker).where(Worker.id == worker_id()))


def workers(s: Session) -> list[Worker]:
    return list(s.scalars(select(Worker).order_by(Worker.started_at)))


def drop_expired_leases(s: Session, now: datetime | None = None) -> int:
    return s.execute(delete(Lease).where(Lease.until < (now or utcnow()))).rowcount


def claim_outbox(
    s: Session,
    seconds: float,
    limit: int = 20,
    now: datetime | None = None,
    exclude: frozenset[int] | set[int] = frozenset(),
) -> list[int]:
    """Unsent outbox mails that no live worker is sending, claimed for this worker.
    PostgreSQL: rows another worker is claiming right now are skipped (SKIP LOCKED), not
    waited for.
    """
    now = now or utcnow()
    me = worker_id()
    query = select(
        OutboxMail.id, OutboxMail.claimed_by, OutboxMail.claimed_until
    ).where(OutboxMail.sent_at.is_(None))
    if exclude:
        query = query.where(OutboxMail.id.not_in(exclude))
    rows = s.execute(
        query.order_by(OutboxMail.id).with_for_update(skip_locked=True).limit(limit * 5)
    ).all()
    claimed = [mail_id for mail_id, by, until in rows if _free(by, until, now)][:limit]
    if claimed:
        s.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(claimed))
            .values(claimed_by=me, claimed_until=now + timedelta(seconds=seconds))
        )
    return claimed


def _free(holder: str | None, until: datetime | None, now: datetime) -> bool:
    """May this worker take what `holder` holds until `until` (a lease, an outbox
    claim)?"""
    return (
        holder in (None, worker_id())
        or until is None
        or aware(until) <= now
        or holder_gone(holder)
    )


def aware(moment: datetime) -> datetime:
    """A stored moment with its zone (SQLite gives it back without; it is UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
