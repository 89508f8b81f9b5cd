"""What every command uses: the --config option, settings with logging, the library
opened and closed, and who is at the keyboard. How values are printed: printing.py."""

from __future__ import annotations

import getpass
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.workflow.pipeline import Pipeline

CONFIG_ENV = "MAATWERK_CONFIG"
EVENTS = "maatwerk.gebeurtenis"  # the logger of pipeline/workflow/events.py
ConfigOpt = typer.Option(
    None,
    "--config",
    "-c",
    help=(
        "TOML-configuratiebestand (standaard ./maatwerk.toml, "
        "anders de ingebouwde standaardwaarden)."
    ),
    envvar=CONFIG_ENV,
    metavar="BESTAND",
    exists=False,
    dir_okay=False,
)


def settings_of(config: Path | None) -> Settings:
    """The settings of `config` (see load_settings), with logging set up by them.

    Raises ConfigError when the file is missing or wrong, or log_level unknown."""
    settings = load_settings(config)
    setup_logging(settings.log_level, settings.advice.timezone)
    return settings


def setup_logging(log_level: str, timezone: str = "Europe/Amsterdam") -> None:
    """`log_level` is for maatwerk's own loggers (the 'maatwerk' tree): they never log a
    form value. Every other logger (pdfminer, pdfplumber, pypdf, PIL, exchangelib,
    urllib3, msal, sqlalchemy, alembic, …) stays at INFO or above whatever `log_level`
    says: pdfminer's debug lines hold the PDF's strings — names, ZorgNed numbers, BSNs.

    Times are the region's (`timezone`), as `maatwerk case` shows them, whatever the
    server's clock is set to.

    Raises ConfigError when `log_level` is no level name.
    """
    level = logging.getLevelNamesMapping().get(log_level.upper())
    if level is None:
        raise ConfigError(
            f"log_level '{log_level}' bestaat niet; kies DEBUG, INFO, WARNING of ERROR."
        )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        # also when a library sets its own logger's level lower
        handler.addFilter(_own_debug_only)
        root.addHandler(handler)
    root.setLevel(max(logging.INFO, level))
    logging.getLogger("maatwerk").setLevel(level)
    events = logging.getLogger(EVENTS)
    if not events.handlers:  # one plain line per event (pipeline/workflow/events.py)
        line = logging.StreamHandler(sys.stderr)
        line.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        events.addHandler(line)
        events.propagate = False
    events.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    zone = ZoneInfo(timezone)
    for h in (*root.handlers, *events.handlers):
        if h.formatter is not None:
            h.formatter.converter = partial(_in_zone, zone)


def _in_zone(zone: ZoneInfo, seconds: float | None) -> time.struct_time:
    return datetime.fromtimestamp(seconds or 0, zone).timetuple()


def _own_debug_only(record: logging.LogRecord) -> bool:
    return (
        record.levelno >= logging.INFO
        or record.name == "maatwerk"
        or record.name.startswith("maatwerk.")
    )


@contextmanager
def opened_pipeline(settings: Settings) -> Iterator[Pipeline]:
    """The pipeline (store, register, mailbox, …), closed when the block ends.

    Raises ConfigError when a setting it opens by does not work (the region's mappings,
    the mail backend)."""
    # imported here: `maatwerk extract` and `status` need none of it
    from pipeline.workflow.pipeline import Pipeline

    pipeline = Pipeline(settings)
    try:
        yield pipeline
    finally:
        pipeline.close()


@contextmanager
def store_session(settings: Settings) -> Iterator[Session]:
    """One transaction on the store, which is closed when the block ends; never makes
    a database (a command that reads, from the wrong folder, would find an empty one).

    Raises StoreMissing when there is none, StoreUnavailable when the database does not
    answer."""
    from pipeline import store

    st = store.open_store(settings.store, create=False)
    try:
        with st.session() as s:
            yield s
    finally:
        st.close()


def person() -> str:
    """Who is at the keyboard, for the inzage log: the login name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
