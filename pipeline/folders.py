"""Folder names, defined once: the mailbox folder for held mails and the drop folder's
subfolders, where a dropped file goes by its outcome."""

from __future__ import annotations

from enum import StrEnum, auto
from typing import Final

# the mailbox folder beside the inbox where mails are held (no form, unknown sender,
# poison): `maatwerk quarantaine` lists it
QUARANTINE: Final = "Quarantaine"


class DropOutcome(StrEnum):
    """A dropped file's outcome: the drop folder's subfolder it is moved to."""

    verwerkt = auto()
    geweigerd = auto()
    quarantaine = auto()
