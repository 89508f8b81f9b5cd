"""IMAP + SMTP mailbox backend for any mail server (imapclient; IMAP IDLE for push).

Reading never marks a mail as read (BODY.PEEK[]). A mail leaves the inbox — moved to the
processed folder (or Quarantaine) — only when the flow calls `mark_processed` after its
case is stored. Keys are `<UIDVALIDITY>:<UID>`; when UIDVALIDITY changes, old keys are
ignored and the mails are read again, which the store's Message-ID dedupe makes
harmless. Passwords come from the environment (`password_env`), never from the config
file.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from pipeline.config import ImapSettings, SmtpSettings
from pipeline.errors import ConfigError
from pipeline.folders import QUARANTINE
from pipeline.mail.mailbox import IncomingMail

log = logging.getLogger("maatwerk")
FETCH_BATCH = 20


def _secret(env_name: str, what: str) -> str:
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(
            f"Wachtwoord voor {what} ontbreekt: zet de omgevingsvariabele {env_name}."
        )
    return value


def connect_imap(cfg: ImapSettings, username: str) -> IMAPClient:
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
    client.login(cfg.username or username, _secret(cfg.password_env, "IMAP"))
    return client


class ImapMailbox:
    def __init__(
        self,
        imap: ImapSettings,
        smtp: SmtpSettings,
        address: str,
        processed_folder: str,
    ):
        self.imap_cfg, self.smtp_cfg = imap, smtp
        self.address = address
        self.processed_folder = processed_folder
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._known_folders: set[str] = set()
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one fetch at a time per mailbox

    def _conn(self) -> IMAPClient:
        if self._client is None:
            self._client = connect_imap(self.imap_cfg, self.address)
        return self._client

    def _select(self) -> IMAPClient:
        client = self._conn()
        info = client.select_folder(self.imap_cfg.folder)
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None
        if self._client is not None:
            try:
                self._client.logout()
            except (IMAPClientError, OSError):
                pass
            self._client = None

    def _reset(self) -> None:
        self._client = None  # the next call reconnects
        self._uidvalidity = None

    def receive(self) -> Iterator[IncomingMail]:
        """The inbox's mails, fetched in batches (memory stays flat with a long
        backlog); the lock is held per fetch, not while the flow handles a mail (which
        moves it)."""
        with self._lock:
            try:
                client = self._select()
                uids = sorted(client.search(["NOT", "DELETED"]))
                validity = self._uidvalidity
            except (IMAPClientError, OSError):
                self._reset()
                raise
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            with self._lock:
                try:
                    client = (
                        self._client if self._client is not None else self._select()
                    )
                    data = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
                except (IMAPClientError, OSError):
                    self._reset()
                    raise
            for uid in batch:
                if uid in data and b"BODY[]" in data[uid]:
                    when = data[uid].get(b"INTERNALDATE") or datetime.now(UTC)
                    if when.tzinfo is None:
                        when = when.astimezone()
                    yield IncomingMail(
                        key=f"{validity}:{uid}",
                        raw=data[uid][b"BODY[]"],
                        received_at=when.astimezone(UTC),
                    )
            del data

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        validity, _, uid = key.partition(":")
        target = folder or self.processed_folder
        with self._lock:
            try:
                client = (
                    self._client
                    if self._client is not None and self._uidvalidity is not None
                    else self._select()
                )
                if str(self._uidvalidity) != validity:
                    log.warning(
                        "UIDVALIDITY changed; mail will be read again and recognised by"
                        " its Message-ID"
                    )
                    return
                if target not in self._known_folders:
                    if not client.folder_exists(target):
                        client.create_folder(target)
                    self._known_folders.add(target)
                if client.has_capability("MOVE"):
                    client.move([int(uid)], target)
                else:
                    client.copy([int(uid)], target)
                    client.delete_messages([int(uid)])
                    (
                        client.uid_expunge([int(uid)])
                        if client.has_capability("UIDPLUS")
                        else client.expunge()
                    )
            except (IMAPClientError, OSError):
                self._reset()
                raise

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """The mails in `folder` (e.g. Quarantaine), oldest first, keyed
        `<UIDVALIDITY>:<UID>` of that folder; read with BODY.PEEK[] (nothing marked
        read)."""
        with self._lock:
            try:
                client = self._conn()
                if not client.folder_exists(folder):
                    return []
                validity = int(
                    client.select_folder(folder, readonly=True)[b"UIDVALIDITY"]
                )
                uids = sorted(client.search(["NOT", "DELETED"]))
                found = []
                for start in range(0, len(uids), FETCH_BATCH):
                    data = client.fetch(
                        uids[start : start + FETCH_BATCH],
                        ["BODY.PEEK[]", "INTERNALDATE"],
                    )
                    for uid in sorted(data):
                        if b"BODY[]" not in data[uid]:
                            continue
                        when = data[uid].get(b"INTERNALDATE") or datetime.now(UTC)
                        when = when.astimezone() if when.tzinfo is None else when
                        found.append(
                            IncomingMail(
                                key=f"{validity}:{uid}",
                                raw=data[uid][b"BODY[]"],
                                received_at=when.astimezone(UTC),
                            )
                        )
            except (IMAPClientError, OSError):
                self._reset()
                raise
            finally:
                self._uidvalidity = (
                    None  # the inbox is selected again on the next receive
                )
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
        `to`."""
        target = to or self.imap_cfg.folder
        with self._lock:
            try:
                client = self._conn()
                uid = self._select_held(client, folder, key)
                if not client.folder_exists(target):
                    client.create_folder(target)
                if client.has_capability("MOVE"):
                    client.move([uid], target)
                else:
                    client.copy([uid], target)
                    self._expunge(client, uid)
            except (IMAPClientError, OSError):
                self._reset()
                raise
            finally:
                self._uidvalidity = None

    def delete_from(self, folder: str, key: str) -> None:
        """Delete one mail in `folder` (flagged \\Deleted and expunged, not to a trash
        folder)."""
        with self._lock:
            try:
                client = self._conn()
                self._expunge(client, self._select_held(client, folder, key))
            except (IMAPClientError, OSError):
                self._reset()
                raise
            finally:
                self._uidvalidity = None

    @staticmethod
    def _expunge(client: IMAPClient, uid: int) -> None:
        client.delete_messages([uid])
        (
            client.uid_expunge([uid])
            if client.has_capability("UIDPLUS")
            else client.expunge()
        )

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (processed folder, Quarantaine, sent folder) of these
        mails."""
        removed = 0
        folders = [self.processed_folder, QUARANTINE, self.imap_cfg.sent_folder]
        with self._lock:
            try:
                client = self._conn()
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
                        client.delete_messages(uids)
                        (
                            client.uid_expunge(uids)
                            if client.has_capability("UIDPLUS")
                            else client.expunge()
                        )
                        removed += len(uids)
            except (IMAPClientError, OSError):
                self._reset()
                raise
            finally:
                self._uidvalidity = (
                    None  # the inbox is selected again on the next receive
                )
        return removed

    def _smtp_conn(self) -> smtplib.SMTP:
        if self._smtp is None:
            cfg = self.smtp_cfg
            context = ssl.create_default_context()
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=context)
            if cfg.username or cfg.password_env in os.environ:
                smtp.login(
                    cfg.username or self.address, _secret(cfg.password_env, "SMTP")
                )
            self._smtp = smtp
        return self._smtp

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """Over one kept-open SMTP connection; a dropped connection is opened again
        once."""
        for attempt in (1, 2):
            try:
                self._smtp_conn().sendmail(self.address, recipients, raw)
                break
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._smtp = None
                if attempt == 2:
                    raise
        if self.imap_cfg.sent_folder:
            self._keep_sent_copy(raw)

    def _keep_sent_copy(self, raw: bytes) -> None:
        with self._lock:
            try:
                client = self._conn()
                if not client.folder_exists(self.imap_cfg.sent_folder):
                    client.create_folder(self.imap_cfg.sent_folder)
                client.append(self.imap_cfg.sent_folder, raw, flags=[b"\\Seen"])
            except (IMAPClientError, OSError):
                self._reset()
                log.warning(
                    "sent mail not copied to the IMAP folder %s",
                    self.imap_cfg.sent_folder,
                )


class ImapIdle(threading.Thread):
    """Push: a second connection in IMAP IDLE sets `events` when mail arrives (re-IDLEs
    every few minutes, well within the 29 minutes servers allow; reconnects after
    errors)."""

    def __init__(
        self,
        cfg: ImapSettings,
        username: str,
        events: tuple[threading.Event, ...],
        stop: threading.Event,
    ):
        super().__init__(daemon=True, name="imap-idle")
        self.cfg, self.username, self.events, self.stop_event = (
            cfg,
            username,
            events,
            stop,
        )

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                client = connect_imap(self.cfg, self.username)
                client.select_folder(self.cfg.folder, readonly=True)
                while not self.stop_event.is_set():
                    client.idle()
                    responses = client.idle_check(timeout=5)
                    for _ in range(int(self.cfg.idle_renew_seconds // 5)):
                        if responses or self.stop_event.is_set():
                            break
                        responses = client.idle_check(timeout=5)
                    client.idle_done()
                    if any(
                        r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1
                    ):
                        for event in self.events:
                            event.set()
                client.logout()
            except (IMAPClientError, OSError, ConfigError) as exc:
                log.warning(
                    "IMAP IDLE connection lost (%s); polling until it is back",
                    type(exc).__name__,
                )
                self.stop_event.wait(10)
