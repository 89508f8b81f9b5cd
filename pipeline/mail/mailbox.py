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
    """Every backend implements all of these. The server backends raise
    MailServerUnavailable when their server is away."""

    address: str

    def receive(self) -> Iterator[IncomingMail]:
        """The mails waiting in the inbox now, oldest first; nothing is marked read."""
        ...

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        """Move a received mail out of the inbox into `folder` (default: the processed
        folder), once its outcome is stored."""
        ...

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """Send one composed mail (keeping its Message-ID and threading headers)."""
        ...

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """The mails held in `folder` (Quarantaine), oldest first, for `maatwerk
        quarantaine`. Raises ConfigError (Dutch) where the backend cannot."""
        ...

    def move_from(self, folder: str, key: str, to: str | None = None) -> None:
        """Move one held mail back to the inbox (`to` None: it is read again) or into
        folder `to`. Raises KeyError when it is gone, ConfigError where the backend
        cannot."""
        ...

    def delete_from(self, folder: str, key: str) -> None:
        """Delete one held mail. Raises KeyError when it is gone, ConfigError where the
        backend cannot."""
        ...

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (processed folder, Quarantaine, sent mail) of the
        mails with these Message-IDs (retention); how many were deleted."""
        ...

    def watch(self, timeout: float) -> None:
        """Block until new mail may be there (a push, a notification) or `timeout`
        seconds passed; a backend without notifications just waits. The run loop reads
        the inbox after each return."""
        ...

    def waiting(self) -> int:
        """How many mails wait in the inbox now (for a progress bar)."""
        ...

    def check(self) -> str:
        """Log in and look at the inbox once, as `maatwerk check` does (nothing is
        read, moved or sent): what was seen, in Dutch. Raises MailServerUnavailable or
        ConfigError (Dutch) when that does not work."""
        ...

    def close(self) -> None:
        """Let go of connections; errors of a server already gone are ignored."""
        ...
