"""The error family: every error maatwerk raises carries a Dutch message for the user
(`melding`) and its exit code (`ExitCode`). Errors are raised, never returned; the CLI
(`maatwerk/`) is the one place that turns them into a line and an exit code.

An `Outage` is something outside maatwerk that is away for a while (the database, the
mail server, a file share): the item waits and the loop tries again later; `wat` names
what is away as `maatwerk status` shows it.
"""

from __future__ import annotations

import errno
from enum import IntEnum
from pathlib import Path
from typing import Any

DAMAGED_PDF = (
    "Het PDF-bestand is beschadigd en kan niet worden geopend. Sla het formulier "
    "opnieuw op en stuur het nog eens."
)
DAMAGED_WORD = (
    "Het Word-bestand is beschadigd of onvolledig en kan niet worden geopend. Sla het "
    "formulier opnieuw op en stuur het nog eens."
)


class ExitCode(IntEnum):
    """What `maatwerk` exits with; documented in README.md."""

    ok = 0
    error = 1
    usage = 2  # an unknown command or option, a missing or wrong argument
    config = 3
    not_found = 4
    invalid_transition = 5
    already_running = 6
    folder_unavailable = 7
    store_unavailable = 8
    not_read_automatically = 9
    mail_server_unavailable = 10
    unreadable_form = 11
    degraded = 12  # `maatwerk status`: working, but waiting on an outage
    down = 13  # `maatwerk status`: no worker running (or it cannot go on)
    interrupted = 130


class MaatwerkError(Exception):
    """Base error: `melding` is shown to the user as is (Dutch), never a traceback."""

    exit_code = ExitCode.error

    def __init__(self, melding: str):
        super().__init__(melding)
        self.melding = melding


class ConfigError(MaatwerkError):
    exit_code = ExitCode.config


class UnreadableForm(MaatwerkError):
    """The file could not be read as a request form (corrupt, encrypted, no form)."""

    exit_code = ExitCode.unreadable_form


class NotReadAutomatically(MaatwerkError):
    """Reading the form failed on a fault of our own (a bug in a reader), not on the
    file: the request is taken in all the same and ICM reads the form by hand."""

    exit_code = ExitCode.not_read_automatically


class ConversionFailed(MaatwerkError):
    """LibreOffice is missing or produced no output (after a retry)."""


class FileMissing(MaatwerkError):
    """A file named on the command line is not there."""

    exit_code = ExitCode.not_found


def os_reason(exc: OSError) -> str:
    """Why the system refused, in Dutch."""
    return OS_REASONS.get(exc.errno or 0, f"systeemfout {exc.errno}")


OS_REASONS = {
    errno.ENOENT: "bestaat niet",
    errno.EACCES: "geen toegang",
    errno.EPERM: "niet toegestaan",
    errno.EISDIR: "is een map",
    errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ENOSPC: "de schijf is vol",
    errno.EROFS: "alleen-lezen",
    errno.EIO: "leesfout van de schijf",
    errno.ETIMEDOUT: "geen antwoord (time-out)",
    errno.ECONNREFUSED: "verbinding geweigerd",
    errno.EHOSTUNREACH: "server onbereikbaar",
    errno.ENETUNREACH: "netwerk onbereikbaar",
    errno.ENAMETOOLONG: "naam te lang",
    errno.EMFILE: "te veel open bestanden",
    errno.EADDRINUSE: "het adres is al in gebruik (door een ander programma)",
    errno.EADDRNOTAVAIL: "dit adres hoort niet bij deze machine",
}


class StoreMissing(MaatwerkError):
    """A command that reads found no database where the config points."""

    exit_code = ExitCode.not_found

    def __init__(self, where: Path):
        super().__init__(
            f"Geen database gevonden: {where} bestaat niet ([store] url). Geef de"
            " configuratie van de verwerker met --config BESTAND (of"
            " MAATWERK_CONFIG), of start dit in de map waar 'maatwerk run' draait."
        )


class CaseNotFound(MaatwerkError):
    exit_code = ExitCode.not_found


class HeldMailNotFound(MaatwerkError):
    """A number `maatwerk quarantaine` no longer lists."""

    exit_code = ExitCode.not_found


class InvalidTransition(MaatwerkError):
    exit_code = ExitCode.invalid_transition


class AlreadyRunning(MaatwerkError):
    """A second worker on a SQLite store (several workers need PostgreSQL)."""

    exit_code = ExitCode.already_running


class Outage(MaatwerkError):
    """Something maatwerk depends on is away: the item waits, the round backs off (at
    least `retry_after` seconds when the server said how long)."""

    retry_after: float | None = None

    def __init__(self, wat: str, melding: str):
        super().__init__(melding)
        self.wat = wat


class FolderUnavailable(Outage):
    """The register or drop folder (often a file share) is not there. `wat` names it
    as `maatwerk status` shows it ("de registermap", "de dropmap")."""

    exit_code = ExitCode.folder_unavailable

    def __init__(self, wat: str, path: Path | str):
        super().__init__(wat, f"{wat[0].upper()}{wat[1:]} {path} is niet bereikbaar.")


class StoreUnavailable(Outage):
    """The database does not answer (raised for SQLAlchemy's OperationalError), or
    its SQLite file cannot be made or opened (`melding` names the file and why)."""

    exit_code = ExitCode.store_unavailable

    def __init__(self, melding: str | None = None) -> None:
        super().__init__(
            "de database",
            melding
            or "De database is niet bereikbaar; controleer of de databaseserver draait"
            " en [store] url klopt.",
        )


class MailServerUnavailable(Outage, OSError):
    """The mail server (IMAP/SMTP, Graph, Exchange) does not answer or refuses for a
    while, as a backend raises it; `melding` says which and why, without mail contents.
    Also an OSError, like the library errors it stands for: code that retries or catches
    OSError (the outbox sender) keeps doing so. `__cause__` is the library's error."""

    exit_code = ExitCode.mail_server_unavailable

    def __init__(self, melding: str = "De mailserver is niet bereikbaar.") -> None:
        super().__init__("de mailserver", melding)


def safe_error(exc: BaseException) -> str:
    """An exception for the log without its message (which may quote form contents):
    its type and where it was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (
        f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else ""
    )
    return f"{type(exc).__name__}{where}"


# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/)
# in Dutch; others as "ongeldige waarde"
PYDANTIC_DUTCH = {
    "extra_forbidden": "onbekende instelling (zie config.example.toml)",
    "missing": "ontbreekt",
    "int_parsing": "moet een geheel getal zijn",
    "int_type": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_parsing": "moet een getal zijn",
    "float_type": "moet een getal zijn",
    "bool_parsing": "moet true of false zijn",
    "bool_type": "moet true of false zijn",
    "string_type": "moet tekst tussen aanhalingstekens zijn",
    "list_type": 'moet een lijst zijn, bijv. ["a", "b"]',
    "model_type": "moet een sectie [..] zijn",
    "model_attributes_type": "moet een sectie [..] zijn",
    "time_parsing": "moet een tijd zijn, bijv. 09:00:00",
    "time_type": "moet een tijd zijn, bijv. 09:00:00",
    "path_type": "moet een pad zijn",
    "greater_than_equal": "moet minstens {ge} zijn",
    "greater_than": "moet groter dan {gt} zijn",
    "literal_error": "moet een van deze zijn: {expected}",
    "value_error": "{error}",
}


def pydantic_dutch(error: Any) -> str:
    """A pydantic validation error (one of `ValidationError.errors()`) in Dutch."""
    text = PYDANTIC_DUTCH.get(error["type"], "ongeldige waarde")
    # pydantic joins the last of a list with an English 'or'
    ctx = {
        k: str(v).replace("' or '", "' of '") for k, v in error.get("ctx", {}).items()
    }
    try:
        return text.format(**ctx)
    except (KeyError, IndexError):
        return text
