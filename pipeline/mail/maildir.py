"""The embedded mailbox backend: local mail on standard Maildir folders.

Delivering to an address writes into its Maildir, so a local run shows who received
what (open any folder with a mail client, or `mailbox.Maildir`). Like the register,
the folders and delivered mails are for owner and group only.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Final

from pipeline.errors import FolderUnavailable
from pipeline.folders import QUARANTINE
from pipeline.mail.mailbox import IncomingMail
from pipeline.register.folder import DIR_MODE, FILE_MODE

log = logging.getLogger(f"maatwerk.{__name__}")
MAILDIR_SUBDIRS = ("tmp", "new", "cur")
HEADERS = BytesHeaderParser(policy=policy.default)
SEEN = "2,S"  # the Maildir info of a mail marked seen
SENT_FOLDER: Final = "Verzonden"  # a copy of every mail sent


def complete(path: Path, mode: int = 0o777) -> None:
    """Make the Maildir subdirectories of `path` (also completes a Maildir half made
    when a run was killed)."""
    for sub in MAILDIR_SUBDIRS:
        (path / sub).mkdir(mode=mode, exist_ok=True)


def file_of(box: mailbox.Maildir, key: str) -> Path:
    """Where the mail `key` lies in `box`. Raises KeyError when it is gone."""
    return Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]


def delivery_name(raw: bytes) -> str | None:
    """The file name a mail is delivered under, after its Message-ID (None: it has
    none)."""
    m = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", raw[:8192], re.I | re.M)
    return f"mw-{hashlib.sha256(m.group(1)).hexdigest()[:32]}.maatwerk" if m else None


class MaildirPostOffice:
    """Local mail on standard Maildir folders: one Maildir per address under `root`."""

    def __init__(self, root: Path):
        """Raises FolderUnavailable when `root` cannot be made."""
        self.root = Path(root)
        try:
            self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise FolderUnavailable("de mailmap", self.root) from exc

    def maildir(self, address: str) -> mailbox.Maildir:
        safe = re.sub(r"[^a-z0-9@._+-]", "_", address.strip().lower())
        path = self.root / safe
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        complete(path, DIR_MODE)
        return mailbox.Maildir(path, create=True)

    def deliver(self, raw: bytes, recipients: list[str]) -> None:
        """Into each recipient's Maildir, once: the file is named after the Message-ID,
        so a mail sent again after a crash (sent, but not yet marked sent) does not
        arrive twice.
        """
        name = delivery_name(raw)
        for rcpt in dict.fromkeys(a.lower() for a in recipients):
            box = self.maildir(rcpt)
            root = Path(box._path)
            if name is None:
                os.chmod(file_of(box, box.add(raw)), FILE_MODE)
                continue
            if (root / "new" / name).exists() or any(
                (root / "cur").glob(f"{name}{box.colon}*")
            ):
                continue
            tmp = root / "tmp" / name
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE
            )
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, root / "new" / name)

    def mailbox(self, address: str, processed_folder: str) -> MaildirMailbox:
        return MaildirMailbox(self, address, processed_folder)


class MaildirMailbox:
    """One address's Maildir behind the `Mailbox` interface."""

    def __init__(self, office: MaildirPostOffice, address: str, processed_folder: str):
        self.office = office
        self.address = address
        self.processed_folder = processed_folder
        self.inbox = office.maildir(address)

    def waiting(self) -> int:
        root = Path(self.inbox._path)
        return sum(1 for sub in ("new", "cur") for _ in (root / sub).iterdir())

    def check(self) -> str:
        return f"Maildir {self.inbox._path}: {self.waiting()} mail(s) in de inbox"

    def receive(self) -> Iterator[IncomingMail]:
        """The inbox's mails, oldest delivery first."""
        root = Path(self.inbox._path)
        found = []
        for sub in ("new", "cur"):  # one directory scan, not one lookup per mail
            with os.scandir(root / sub) as entries:
                for entry in entries:
                    if entry.is_file() and not entry.name.startswith("."):
                        try:
                            mtime = entry.stat().st_mtime
                        except FileNotFoundError:
                            continue
                        key = entry.name.split(self.inbox.colon)[0]
                        found.append((mtime, key, entry.path))
        for mtime, key, path in sorted(found):  # oldest delivery first
            try:
                raw = Path(path).read_bytes()
            except FileNotFoundError:
                continue  # moved away meanwhile
            yield IncomingMail(
                key=key, raw=raw, received_at=datetime.fromtimestamp(mtime, UTC)
            )

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        """Move the mail's file into the folder's cur/ marked seen: one rename, nothing
        rewritten. Raises KeyError when it is gone."""
        target = self._folder(folder or self.processed_folder)
        source = file_of(self.inbox, key)
        os.replace(source, self._seen_path(target, key))

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """The mails in `folder` (e.g. Quarantaine), oldest delivery first; keys for
        `move_from`."""
        box = self._folder(folder)
        found = []
        for key in box.iterkeys():
            try:
                path = file_of(box, key)
                found.append(
                    IncomingMail(
                        key=key,
                        raw=path.read_bytes(),
                        received_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
                    )
                )
            except (KeyError, FileNotFoundError):
                continue  # moved away meanwhile
        return sorted(found, key=lambda m: (m.received_at, m.key))

    def move_from(self, folder: str, key: str, to: str | None = None) -> None:
        """Move one mail out of `folder`: back to the inbox as new (`to` None), or into
        folder `to` marked seen. One rename: the delivery time stays. Raises KeyError
        when it is not there.
        """
        path = file_of(self._folder(folder), key)
        if to is None:
            os.replace(path, Path(self.inbox._path) / "new" / key)
        else:
            os.replace(path, self._seen_path(self._folder(to), key))

    def delete_from(self, folder: str, key: str) -> None:
        """Delete one mail in `folder`. Raises KeyError when it is not there."""
        self._folder(folder).remove(key)

    def send(self, raw: bytes, recipients: list[str]) -> None:
        self.office.deliver(raw, recipients)
        self._folder(SENT_FOLDER).add(raw)

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (Verwerkt, Quarantaine, Verzonden) of these mails
        (retention)."""
        removed = 0
        for name in (self.processed_folder, QUARANTINE, SENT_FOLDER):
            folder = self._folder(name)
            for key in list(folder.iterkeys()):
                try:
                    with folder.get_file(key) as f:
                        head = HEADERS.parse(f)  # type: ignore[arg-type]
                except (KeyError, FileNotFoundError):
                    continue
                if str(head.get("Message-ID", "")).strip() in message_ids:
                    folder.discard(key)
                    removed += 1
        return removed

    def watch(self, timeout: float) -> None:
        """Local mail has no notifications: wait `timeout` seconds (polling)."""
        time.sleep(timeout)

    def close(self) -> None:
        """Nothing to close: files only."""

    def _seen_path(self, folder: mailbox.Maildir, key: str) -> Path:
        return Path(folder._path) / "cur" / f"{key}{self.inbox.colon}{SEEN}"

    def _folder(self, name: str) -> mailbox.Maildir:
        try:
            folder = self.inbox.get_folder(name)
        except mailbox.NoSuchMailboxError:
            folder = self.inbox.add_folder(name)
        # a folder half made when a run was killed is completed
        complete(Path(folder._path))
        return folder
