"""Opening the store: the engine, the schema migrations run on open, SQLite's locking
and pragmas, and what differs between SQLite and PostgreSQL in a statement."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import StoreSettings
from pipeline.errors import (
    AlreadyRunning,
    ConfigError,
    StoreMissing,
    StoreUnavailable,
    os_reason,
)
from pipeline.register.folder import DIR_MODE, FILE_MODE

log = logging.getLogger(f"maatwerk.{__name__}")

MIGRATIONS = Path(__file__).parent / "migrations"
INDEX_LOCK = 7012  # PostgreSQL advisory lock: one worker at a time writes the index


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration, in one transaction."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction: a run killed while it makes the
            # schema would leave half of it ('table cases already exists' for ever
            # after). One transaction for the whole upgrade (SQLite's DDL is
            # transactional); IMMEDIATE: two first starts take turns.
            dbapi: Any = conn.connection.dbapi_connection
            if not dbapi.in_transaction:
                dbapi.execute("BEGIN IMMEDIATE")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@contextmanager
def database_errors() -> Iterator[None]:
    """The store's boundary: a database that does not answer (SQLAlchemy's
    OperationalError) leaves the store as StoreUnavailable, an Outage."""
    try:
        yield
    except OperationalError as exc:
        raise StoreUnavailable() from exc


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """The database's schema revision (None: no schema yet) and the newest this
    version of maatwerk knows."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None  # the migrations ship with the package
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), head


def schema_problem(current: str | None, head: str) -> str | None:
    """What is wrong with schema `current` for this version, in Dutch; None: nothing."""
    if current == head:
        return None
    if current is None:
        return "de database heeft nog geen tabellen; 'maatwerk run' maakt ze"
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        ScriptDirectory.from_config(cfg).get_revision(current)
    except CommandError:
        return (
            f"de database is van een nieuwere versie van maatwerk (schema {current});"
            " installeer die versie weer of zet de back-up van vóór de upgrade terug"
        )
    return (
        f"de database heeft schema {current}, deze versie verwacht {head};"
        " 'maatwerk run' werkt hem bij"
    )


class Store:
    """The database behind one URL, its schema brought up to date on open (`create`),
    or only looked at (a command that reads). Raises ConfigError when the URL holds a
    password or (not `create`) the schema is not this version's, StoreUnavailable when
    the database does not answer (here and in every session)."""

    def __init__(self, url: str, password: str | None = None, create: bool = True):
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
        try:
            self.engine = create_engine(u, pool_pre_ping=True)
        except (NoSuchModuleError, ImportError):  # no such dialect, or no driver
            raise ConfigError(
                f"Database {u.render_as_string()}: dit soort database kent maatwerk"
                " niet; gebruik sqlite:/// of postgresql+psycopg:// ([store] url)."
            ) from None
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "savepoint", _sqlite_savepoint_in_transaction)
        with database_errors():
            if create:
                migrate(self.engine)
            elif problem := schema_problem(*schema_revisions(self.engine)):
                self.engine.dispose()
                raise ConfigError(f"Database {u.render_as_string()}: {problem}.")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.
        Raises StoreUnavailable when the database does not answer."""
        with database_errors(), self._sessions() as s, s.begin():
            yield s

    def checkpoint(self) -> None:
        """SQLite: fold the write-ahead log into the database file and empty it (after
        removing personal data, so no older copy of a page stays behind in the log)."""
        if self.backend == "sqlite":
            with database_errors(), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def sole_worker(url: str) -> Iterator[None]:
    """SQLite serves one worker: a second `maatwerk run` on the same file stops with a
    clear message instead of fighting over the database. PostgreSQL: no limit. Raises
    AlreadyRunning when another run holds the file, StoreUnavailable when its lock file
    cannot be made."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        yield
        return
    import fcntl  # here: POSIX only, and only SQLite needs it

    lock_path = Path(u.database).with_name(Path(u.database).name + ".run.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        f = open(lock_path, "a+")
    except OSError as exc:
        raise sqlite_unavailable(Path(u.database), exc) from exc
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"Er draait al een 'maatwerk run' op de database {u.database}. Met"
                " SQLite werkt één verwerker tegelijk; meerdere verwerkers vragen"
                " PostgreSQL ([store] url)."
            ) from None
        yield


def open_store(cfg: StoreSettings, create: bool = True) -> Store:
    """The store of a `[store]` config section; the password comes from the environment.
    `create` False: a command that reads never makes a database, nor changes its schema.

    An SQLite file is for owner and group only, like the register: it is made with that
    mode before SQLite opens it (SQLite gives its -wal and -shm files the database
    file's mode), and one made world-readable by an older version is corrected. Raises
    ConfigError when the URL holds a password, StoreMissing (not `create`) when the
    SQLite file is not there, StoreUnavailable when it cannot be made or opened."""
    u = make_url(cfg.url)
    if (
        u.get_backend_name() == "sqlite"
        and u.database
        and u.database != ":memory:"
        and not u.database.startswith("file:")
    ):
        db = Path(u.database)
        if not create and not db.exists():
            raise StoreMissing(db.resolve())
        try:
            db.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            # made, never opened when it is there: closing any descriptor of the file
            # drops this process's SQLite locks on it (POSIX), and another process
            # closing its last connection then deletes the -wal a connection of ours
            # still writes to (the web pages open the store a second time)
            os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:
            pass
        except OSError as exc:
            raise sqlite_unavailable(db, exc) from exc
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
    return Store(
        cfg.url, password=os.environ.get(cfg.password_env) or None, create=create
    )


def sqlite_unavailable(db: Path, exc: OSError) -> StoreUnavailable:
    """The error for an SQLite file that cannot be made or opened (a folder that is
    not writable, a path through a file, a share that is away)."""
    return StoreUnavailable(
        f"De database {db} is niet te maken of te openen: {os_reason(exc)}; controleer"
        " [store] url en de rechten op de map."
    )


def _sqlite_savepoint_in_transaction(conn: Any, _name: Any) -> None:
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute(
        "PRAGMA secure_delete=ON"
    )  # removed personal data are overwritten, not left in free pages
    cur.close()


def dialect_insert(s: Session) -> Any:
    """The `insert` of the session's database, which has `on_conflict_do_nothing`."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def lock_index(s: Session) -> None:
    """PostgreSQL: one worker at a time rebuilds the register index (the lock ends with
    the transaction). SQLite has one writer anyway."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text(f"SELECT pg_advisory_xact_lock({INDEX_LOCK})"))
