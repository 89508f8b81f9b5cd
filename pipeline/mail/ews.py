"""Exchange Web Services backend (exchangelib), for on-premises Exchange Server, which
keeps EWS.

- A service account with (delegate or impersonation) access to the procurement mailbox;
  the password (or OAuth client secret) comes from the environment (`password_env`).
- The EWS endpoint is configured, so there is no autodiscover; the server version is
  given too, so exchangelib sends only the operations this backend uses (GetFolder,
  FindFolder, CreateFolder, FindItem, GetItem, MoveItem, CreateItem).
- Mails are read as MIME; handled mails are moved to the processed folder; mails are
  sent as MIME (SendAndSaveCopy), keeping our Message-ID and threading headers.
- New mail: an EWS pull subscription on the inbox is asked every `pull_seconds`
  (GetEvents); a full look runs only when it reports new mail, or every `rescan_seconds`
  anyway, and on a lost subscription. With `pull = false` the inbox is simply polled
  every `poll_seconds`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from pipeline.config import EwsSettings
from pipeline.errors import ConfigError
from pipeline.folders import QUARANTINE
from pipeline.mail.mailbox import IncomingMail

log = logging.getLogger("maatwerk")
PULL_EVENTS = ("NewMailEvent", "CreatedEvent", "MovedEvent")
FETCH_BATCH = 20
PULL_EVENT_CLASSES = {"NewMailEvent", "CreatedEvent", "MovedEvent"}


class EwsMailbox:
    def __init__(self, cfg: EwsSettings, address: str, processed_folder: str):
        self.cfg = cfg
        self.address = address
        self.processed_folder = processed_folder
        self._account = None
        self._folders: dict = {}
        self._lock = threading.Lock()
        self._subscription: str | None = None
        self._watermark: str | None = None
        self._last_full = 0.0

    def _acct(self):
        if self._account is not None:
            return self._account
        from exchangelib import (
            DELEGATE,
            IMPERSONATION,
            Account,
            Configuration,
            Credentials,
        )
        from exchangelib.protocol import BaseProtocol
        from exchangelib.version import Build, Version

        secret = os.environ.get(self.cfg.password_env)
        if not secret:
            raise ConfigError(
                "Wachtwoord voor Exchange (EWS) ontbreekt: zet"
                f" {self.cfg.password_env}."
            )
        if self.cfg.ca_bundle:
            BaseProtocol.HTTP_ADAPTER_CLS = _adapter_for(self.cfg.ca_bundle)
        major, minor, *_ = (int(x) for x in self.cfg.server_build.split("."))
        config = Configuration(
            service_endpoint=self.cfg.endpoint,
            credentials=Credentials(self.cfg.username, secret),
            auth_type=self.cfg.auth_type,
            version=Version(build=Build(major, minor)),
        )
        self._account = Account(
            primary_smtp_address=self.cfg.mailbox or self.address,
            config=config,
            autodiscover=False,
            access_type=IMPERSONATION if self.cfg.impersonation else DELEGATE,
        )
        return self._account

    @property
    def poll_seconds(self) -> float | None:
        """With a pull subscription the loop may ask often: a GetEvents call is cheap."""
        return self.cfg.pull_seconds if self.cfg.pull else None

    def _new_mail(self, account) -> bool:
        """Pull notifications: has anything arrived since the last look? (The first
        call, an expired subscription, or `rescan_seconds` without a full look all mean:
        look.)
        """
        from exchangelib.errors import EWSError

        if not self.cfg.pull:
            return True
        try:
            if self._subscription is None:
                self._subscription, self._watermark = account.inbox.subscribe_to_pull(
                    event_types=PULL_EVENTS, timeout=self.cfg.subscription_minutes
                )
                return True
            new = False
            for notification in account.inbox.get_events(
                self._subscription, self._watermark
            ):
                for event in notification.events:
                    self._watermark = (
                        getattr(event, "watermark", None) or self._watermark
                    )
                    new = new or type(event).__name__ in PULL_EVENT_CLASSES
        except EWSError as exc:
            log.warning(
                "EWS pull subscription lost (%s); a new one is made", type(exc).__name__
            )
            self._subscription = None
            return True
        return new or time.monotonic() - self._last_full >= self.cfg.rescan_seconds

    def receive(self) -> Iterator[IncomingMail]:
        with self._lock:
            account = self._acct()
            if not self._new_mail(account):
                return
            self._last_full = time.monotonic()
            ids = list(
                account.inbox.all()
                .order_by("datetime_received")
                .values_list("id", "changekey", "datetime_received")
            )
        for start in range(
            0, len(ids), FETCH_BATCH
        ):  # MIME in batches: memory stays flat with a backlog
            batch = ids[start : start + FETCH_BATCH]
            with self._lock:
                items = list(
                    account.fetch(
                        ids=[(i, c) for i, c, _ in batch], only_fields=["mime_content"]
                    )
                )
            for (item_id, changekey, when), item in zip(batch, items):
                if isinstance(item, Exception):
                    continue  # gone meanwhile
                mime = item.mime_content
                raw = mime if isinstance(mime, bytes) else (mime or "").encode()
                received = datetime.fromtimestamp(
                    when.timestamp(), UTC
                )  # a plain datetime
                yield IncomingMail(
                    key=f"{item_id}\x00{changekey}", raw=raw, received_at=received
                )

    def _folder(self, name: str):
        from exchangelib import Folder

        if name not in self._folders:
            root = self._acct().msg_folder_root
            existing = [f for f in root.children if f.name == name]
            if existing:
                self._folders[name] = existing[0]
            else:
                folder = Folder(parent=root, name=name)
                folder.save()
                self._folders[name] = folder
        return self._folders[name]

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        from exchangelib import Message

        item_id, _, changekey = key.partition("\x00")
        with self._lock:
            target = self._folder(folder or self.processed_folder)
            item = Message(account=self._acct(), id=item_id, changekey=changekey)
            item.move(to_folder=target)

    def send(self, raw: bytes, recipients: list[str]) -> None:
        from exchangelib import Message

        with self._lock:
            account = self._acct()
            # the recipients are those in the MIME headers (To/Cc), as composed by the
            # pipeline
            Message(
                account=account, folder=account.sent, mime_content=raw
            ).send_and_save()

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (processed folder, Quarantaine, Sent Items) of these
        mails for retention: found by InternetMessageId, hard-deleted (not to Deleted
        Items)."""
        removed = 0
        with self._lock:
            account = self._acct()
            for folder in (
                self._folder(self.processed_folder),
                self._folder(QUARANTINE),
                account.sent,
            ):
                for message_id in sorted(message_ids):
                    ids = list(
                        folder.filter(message_id=message_id).values_list(
                            "id", "changekey"
                        )
                    )
                    if ids:
                        account.bulk_delete(ids=ids, delete_type="HardDelete")
                        removed += len(ids)
        return removed

    # --- Quarantaine, one mail at a time (`maatwerk quarantaine`)
    # --------------------------- Not built yet for Exchange (EWS): staff handle the
    # folder in Outlook; a clear Dutch error.

    def _held_unsupported(self) -> ConfigError:
        return ConfigError(
            "De map Quarantaine per mail beheren kan (nog) niet met de mailbox 'ews'; "
            "handel de mails in de map Quarantaine af in Outlook."
        )

    def list_folder(self, folder: str) -> list[IncomingMail]:
        raise self._held_unsupported()

    def move_from(self, folder: str, key: str, to: str | None = None) -> None:
        raise self._held_unsupported()

    def delete_from(self, folder: str, key: str) -> None:
        raise self._held_unsupported()

    def close(self) -> None:
        if self._account is not None:
            self._account.protocol.close()
            self._account = None


def _adapter_for(ca_bundle: str):
    """A requests adapter that trusts the configured CA file (a company CA or a test
    server)."""
    import requests.adapters

    class _CaAdapter(requests.adapters.HTTPAdapter):
        def cert_verify(self, conn, url, verify, cert):
            super().cert_verify(conn, url, ca_bundle, cert)

    return _CaAdapter
