"""The one interface every mailbox backend implements (maildir, imap, graph, ews).

A mailbox `receive`s what waits in the inkoop inbox, moves a mail out
(`mark_processed`) once its outcome is stored, and `send`s. The rest serves
`maatwerk quarantaine` (one held mail at a time), retention (`purge`), the run loop
(`watch`) and shutdown (`close`). A capability a backend lacks raises ConfigError
(Dutch) in its own method; nothing is probed with getattr.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass
class IncomingMail:
    key: str
    raw: bytes
    received_at: datetime


class Mailbox(Protocol):
    address: str

    def receive(self) -> Iterator[IncomingMail]: ...

    def mark_processed(self, key: str, folder: str | None = None) -> None: ...

    def send(self, raw: bytes, recipients: list[str]) -> None: ...

    # the mails held in a folder (Quarantaine), one by one: `maatwerk quarantaine`; a
    # backend that cannot raises ConfigError (Dutch) in its own method
    def list_folder(self, folder: str) -> list[IncomingMail]: ...

    def move_from(self, folder: str, key: str, to: str | None = None) -> None: ...

    def delete_from(self, folder: str, key: str) -> None: ...
