"""IMAP + SMTP mailbox backend for any mail server (imapclient; IMAP IDLE for push).

Reading never marks a mail as read (BODY.PEEK[]). A mail leaves the inbox — moved to the
processed folder (or Quarantaine) — only when the flow calls `mark_processed` after its
case is stored. Keys are `<UIDVALIDITY>:<UID>`; when UIDVALIDITY changes, old keys are
ignored and the mails are read again, which the store's Message-ID dedupe makes
harmless. Passwords come from the environment (`password_env`), never from the config
file. The server's errors leave every public method as MailServerUnavailable.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from pipeline.config import ImapSettings, SmtpSettings
from pipeline.errors import ConfigError, MailServerUnavailable
from pipeline.folders import QUARANTINE
from pipeline.mail.mailbox import IncomingMail
from pipeline.mail.server import FETCH_BATCH, outages, secret
from pipeline.mail.smtp import SmtpSender

log = logging.getLogger(f"maatwerk.{__name__}")
FETCHED = ["BODY.PEEK[]", "INTERNALDATE"]


def connect_imap(cfg: ImapSettings, username: str) -> IMAPClient:
    """A logged-in connection. Raises ConfigError without a password, and the
    library's errors (IMAPClientError, OSError) when the server is away or refuses."""
    # first: a missing password is said as such, also while the server is away
    password = secret(
        cfg.password_env,
        "Wachtwoord voor IMAP ontbreekt: zet de omgevingsvariabele"
        f" {cfg.password_env}.",
        empty_ok=True,
    )
    context = ssl.create_default_context()
    client = IMAPClient(
        cfg.host,
        port=cfg.port,
        ssl=cfg.security == "ssl",
        ssl_context=context,
        timeout=cfg.timeout,
    )
    if cfg.security == "starttls":
        client.starttls(context)
    client.login(cfg.username or username, password)
    return client


def fetched_mails(
    data: dict[int, Any], uids: list[int], validity: Any
) -> list[IncomingMail]:
    """The mails of a FETCH of `FETCHED`, keyed `<UIDVALIDITY>:<UID>`; a UID the server
    did not return (gone meanwhile) is left out."""
    found = []
    for uid in uids:
        if uid in data and b"BODY[]" in data[uid]:
            when = data[uid].get(b"INTERNALDATE") or datetime.now(UTC)
            if when.tzinfo is None:
                when = when.astimezone()
            found.append(
                IncomingMail(
                    key=f"{validity}:{uid}",
                    raw=data[uid][b"BODY[]"],
                    received_at=when.astimezone(UTC),
                )
            )
    return found


def expunge(client: IMAPClient, uids: list[int]) -> None:
    """Delete these mails of the selected folder for good (not to a trash folder)."""
    client.delete_messages(uids)
    client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def move(client: IMAPClient, uids: list[int], target: str) -> None:
    """Move these mails of the selected folder into `target` (MOVE, else copy and
    expunge)."""
    if client.has_capability("MOVE"):
        client.move(uids, target)
    else:
        client.copy(uids, target)
        expunge(client, uids)


class ImapMailbox:
    def __init__(
        self,
        imap: ImapSettings,
        smtp: SmtpSettings,
        address: str,
        processed_folder: str,
    ):
        self.imap_cfg = imap
        self.address = address
        self.processed_folder = processed_folder
        self.server = f"De IMAP-server {imap.host}:{imap.port}"
        self.smtp = SmtpSender(smtp, address)
        self.idle = ImapIdle(imap, address)
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._known_folders: set[str] = set()
        self._lock = threading.Lock()  # one fetch at a time per mailbox

    @contextmanager
    def _session(self, inbox_after: bool = False) -> Iterator[IMAPClient]:
        """The connection, under the lock; on the server's errors the next call
        reconnects and the error leaves as MailServerUnavailable. `inbox_after`: another
        folder gets selected, so the inbox is selected again on the next receive."""
        with self._lock, outages(self.server):
            try:
                if self._client is None:
                    self._client = connect_imap(self.imap_cfg, self.address)
                yield self._client
            except (IMAPClientError, OSError):
                self._client, self._uidvalidity = None, None
                raise
            finally:
                if inbox_after:
                    self._uidvalidity = None

    def _select_inbox(self, client: IMAPClient) -> IMAPClient:
        if self._uidvalidity is None:
            info = client.select_folder(self.imap_cfg.folder)
            self._uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def _ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if folder not in self._known_folders:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            self._known_folders.add(folder)

    def waiting(self) -> int:
        with self._session(inbox_after=True) as client:
            return int(
                client.select_folder(self.imap_cfg.folder, readonly=True)[b"EXISTS"]
            )

    def check(self) -> str:
        """Log in, the inbox selected once, and SMTP. Raises ConfigError when a server
        refuses the login, MailServerUnavailable when one is away."""
        cfg = self.imap_cfg
        try:
            waiting = self.waiting()
        except MailServerUnavailable as exc:
            if isinstance(exc.__cause__, LoginError):
                raise ConfigError(
                    f"{self.server} weigert de inlog; controleer [imap] username en"
                    f" het wachtwoord in {cfg.password_env}."
                ) from None
            raise
        return (
            f"IMAP {cfg.host}:{cfg.port} ({cfg.security}): ingelogd, map"
            f" {cfg.folder} met {waiting} mail(s); {self.smtp.check()}"
        )

    def receive(self) -> Iterator[IncomingMail]:
        """The inbox's mails, fetched in batches (memory stays flat with a long
        backlog); the lock is held per fetch, not while the flow handles a mail (which
        moves it). Raises MailServerUnavailable when the server is away."""
        with self._session() as client:
            self._uidvalidity = None  # select afresh: a new round sees new mail
            uids = sorted(self._select_inbox(client).search(["NOT", "DELETED"]))
            validity = self._uidvalidity
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            with self._session() as client:
                data = self._select_inbox(client).fetch(batch, FETCHED)
            yield from fetched_mails(data, batch, validity)
            del data

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        """Move the mail out of the inbox. Raises MailServerUnavailable when the server
        is away."""
        validity, _, uid = key.partition(":")
        target = folder or self.processed_folder
        with self._session() as client:
            self._select_inbox(client)
            if str(self._uidvalidity) != validity:
                log.warning(
                    "UIDVALIDITY changed; mail will be read again and recognised by"
                    " its Message-ID"
                )
                return
            self._ensure_folder(client, target)
            move(client, [int(uid)], target)

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """The mails in `folder` (e.g. Quarantaine), oldest first, keyed
        `<UIDVALIDITY>:<UID>` of that folder; read with BODY.PEEK[] (nothing marked
        read). Raises MailServerUnavailable when the server is away."""
        found: list[IncomingMail] = []
        with self._session(inbox_after=True) as client:
            if not client.folder_exists(folder):
                return []
            validity = client.select_folder(folder, readonly=True)[b"UIDVALIDITY"]
            uids = sorted(client.search(["NOT", "DELETED"]))
            for start in range(0, len(uids), FETCH_BATCH):
                data = client.fetch(uids[start : start + FETCH_BATCH], FETCHED)
                found += fetched_mails(data, sorted(data), int(validity))
        return sorted(
            found, key=lambda m: (m.received_at, int(m.key.partition(":")[2]))
        )

    def _select_held(self, client: IMAPClient, folder: str, key: str) -> int:
        """Select `folder` for a change and return the UID of `key`; KeyError when the
        key is of another UIDVALIDITY or the mail is gone."""
        validity, _, uid = key.partition(":")
        if not client.folder_exists(folder):
            raise KeyError(key)
        if str(
            client.select_folder(folder)[b"UIDVALIDITY"]
        ) != validity or not client.search(["UID", uid]):
            raise KeyError(key)
        return int(uid)

    def move_from(self, folder: str, key: str, to: str | None = None) -> None:
        """Move one mail out of `folder`: back to the inbox (`to` None) or into folder
        `to`. Raises KeyError when it is not there, MailServerUnavailable when the
        server is away."""
        target = to or self.imap_cfg.folder
        with self._session(inbox_after=True) as client:
            uid = self._select_held(client, folder, key)
            if not client.folder_exists(target):
                client.create_folder(target)
            move(client, [uid], target)

    def delete_from(self, folder: str, key: str) -> None:
        """Delete one mail in `folder` (flagged \\Deleted and expunged, not to a trash
        folder). Raises KeyError when it is not there, MailServerUnavailable when the
        server is away."""
        with self._session(inbox_after=True) as client:
            expunge(client, [self._select_held(client, folder, key)])

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (processed folder, Quarantaine, sent folder) of these
        mails. Raises MailServerUnavailable when the server is away."""
        removed = 0
        folders = [self.processed_folder, QUARANTINE, self.imap_cfg.sent_folder]
        with self._session(inbox_after=True) as client:
            for folder in filter(None, folders):
                if not client.folder_exists(folder):
                    continue
                client.select_folder(folder)
                uids = sorted(
                    {
                        u
                        for mid in message_ids
                        for u in client.search(["HEADER", "Message-ID", mid])
                    }
                )
                if uids:
                    expunge(client, uids)
                    removed += len(uids)
        return removed

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """Over SMTP, then a copy into the sent folder (`[imap] sent_folder`). Raises
        MailServerUnavailable when the SMTP server is away, smtplib's errors when it
        refuses the mail."""
        self.smtp.send(raw, recipients)
        if self.imap_cfg.sent_folder:
            self._keep_sent_copy(raw)

    def _keep_sent_copy(self, raw: bytes) -> None:
        folder = self.imap_cfg.sent_folder
        try:
            with self._session() as client:
                if not client.folder_exists(folder):
                    client.create_folder(folder)
                client.append(folder, raw, flags=[b"\\Seen"])
        except OSError:  # MailServerUnavailable: the mail is sent all the same
            log.warning("sent mail not copied to the IMAP folder %s", folder)

    def watch(self, timeout: float) -> None:
        """IMAP IDLE on a second connection (`[imap] idle`), else wait: returns when
        mail arrived or after `timeout` seconds. Never raises: a lost connection is
        logged and made again."""
        if self.imap_cfg.idle:
            self.idle.watch(timeout)
        else:
            time.sleep(timeout)

    def close(self) -> None:
        """Log out (IMAP), quit (SMTP) and end IDLE; errors of a server already gone
        are ignored."""
        self.smtp.close()
        self.idle.close()
        with self._lock:
            client, self._client, self._uidvalidity = self._client, None, None
        if client is not None:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                pass


class ImapIdle:
    """Push over a second connection in IMAP IDLE: `watch` returns when mail arrives.
    The connection stays in IDLE between calls and IDLE is renewed every
    `idle_renew_seconds` (well within the 29 minutes servers allow)."""

    def __init__(self, cfg: ImapSettings, username: str):
        self.cfg, self.username = cfg, username
        self._client: IMAPClient | None = None
        self._renew_at = 0.0
        self._closed = False

    def watch(self, timeout: float) -> None:
        """Wait in IDLE until mail arrives or `timeout` seconds passed. A lost
        connection is logged and made again every 10 seconds; never raises."""
        deadline = time.monotonic() + timeout
        while not self._closed and (left := deadline - time.monotonic()) > 0:
            client = self._client
            try:
                if client is None:
                    client = self._client = connect_imap(self.cfg, self.username)
                    client.select_folder(self.cfg.folder, readonly=True)
                    self._idle(client)
                if self._mail_arrived(client, deadline):
                    return
            except (IMAPClientError, OSError, ConfigError) as exc:
                if self._closed:  # close() ended the connection
                    return
                self._client = None
                log.warning(
                    "IMAP IDLE connection lost (%s); polling until it is back",
                    type(exc).__name__,
                )
                time.sleep(min(10.0, left))

    def _idle(self, client: IMAPClient) -> None:
        client.idle()
        self._renew_at = time.monotonic() + self.cfg.idle_renew_seconds

    def _mail_arrived(self, client: IMAPClient, deadline: float) -> bool:
        """In IDLE until the server reports new mail (True) or `deadline` (False);
        after any report, and when renewal is due, IDLE starts anew."""
        while (now := time.monotonic()) < deadline:
            if now >= self._renew_at:
                client.idle_done()
                self._idle(client)
            responses = client.idle_check(timeout=min(5.0, deadline - now))
            if responses:
                client.idle_done()
                self._idle(client)
                if any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1):
                    return True
        return False

    def close(self) -> None:
        """End the IDLE connection (a `watch` going on returns)."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except (IMAPClientError, OSError):
                pass
