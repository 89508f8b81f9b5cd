"""Exceptions that carry a Dutch message for the user and an exit code for the CLI."""
from __future__ import annotations


DAMAGED_PDF = ("Het PDF-bestand is beschadigd en kan niet worden geopend. Sla het formulier opnieuw op en stuur het "
               "nog eens.")
DAMAGED_WORD = ("Het Word-bestand is beschadigd of onvolledig en kan niet worden geopend. Sla het formulier opnieuw op "
                "en stuur het nog eens.")


class MaatwerkError(Exception):
    """Base error: `melding` is shown to the user as is (Dutch), never a traceback."""

    exit_code = 1

    def __init__(self, melding: str):
        super().__init__(melding)
        self.melding = melding


class ConfigError(MaatwerkError):
    exit_code = 3


class UnreadableForm(MaatwerkError):
    """The file could not be read as a request form (corrupt, encrypted, no form)."""

    exit_code = 2


class CaseNotFound(MaatwerkError):
    exit_code = 4


class InvalidTransition(MaatwerkError):
    exit_code = 5


class AlreadyRunning(MaatwerkError):
    """A second worker on a SQLite store (several workers need PostgreSQL)."""

    exit_code = 6


class FolderUnavailable(MaatwerkError):
    """The register or drop folder (often a file share) is not there: an outage, the item waits.
    `wat` names it as `maatwerk status` shows it ("de registermap", "de dropmap")."""

    exit_code = 7

    def __init__(self, wat: str, path):
        super().__init__(f"{wat[0].upper()}{wat[1:]} {path} is niet bereikbaar.")
        self.wat = wat


class NotReadAutomatically(MaatwerkError):
    """Reading the form failed on a fault of our own (a bug in a reader), not on the file: the
    request is taken in all the same and ICM reads the form by hand."""

    exit_code = 9
