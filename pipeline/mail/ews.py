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
  anyway, and on a lost subscription: `watch` asks, `receive` looks. With `pull =
  false` the inbox is simply polled every `poll_seconds`.
- A busy Exchange (ErrorServerBusy, throttled) is asked again after the back-off it
  gives (BackOffMilliseconds in its SOAP fault), never sooner, within
  `server.THROTTLING`: exchangelib keeps its fail-fast retry policy (so a wrong
  password fails at once) and `patiently` does the waiting, outside the lock.
- Exchange being away (exchangelib's transport errors, a server that stays busy) leaves
  every public method as MailServerUnavailable; a wrong password stays exchangelib's
  UnauthorizedError.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from pipeline.config import EwsSettings
from pipeline.errors import ConfigError
from pipeline.folders import QUARANTINE
from pipeline.mail.mailbox import IncomingMail
from pipeline.mail.server import (
    FETCH_BATCH,
    THROTTLING,
    NoHeldMailMixin,
    ServerBusy,
    outages,
    patiently,
    secret,
)

log = logging.getLogger(f"maatwerk.{__name__}")
# the pull subscription's events that mean new mail in the inbox (exchangelib's class
# names of them are the same)
PULL_EVENTS = ("NewMailEvent", "CreatedEvent", "MovedEvent")
T = TypeVar("T")


def is_ews_outage(exc: BaseException) -> bool:
    """Is Exchange away: no connection, a transport error, or a server busy or
    unavailable for a while? An error about one item, or a wrong password, is not."""
    from exchangelib import errors

    if isinstance(
        exc,
        errors.ErrorServerBusy
        | errors.ErrorTimeoutExpired
        | errors.ErrorInternalServerTransientError
        | errors.ErrorMailboxStoreUnavailable
        | errors.ErrorConnectionFailed,
    ):
        return True
    if isinstance(exc, errors.ResponseMessageError):
        return False
    return isinstance(exc, errors.TransportError | OSError)


class EwsMailbox(NoHeldMailMixin, backend="ews", mail_client="Outlook"):
    """An Exchange mailbox (EWS, on premises) behind the `Mailbox` interface. Held
    mails one at a time (`maatwerk quarantaine`) are not built yet: staff handle the
    folder Quarantaine in Outlook."""

    def __init__(self, cfg: EwsSettings, address: str, processed_folder: str):
        self.cfg = cfg
        self.address = address
        self.processed_folder = processed_folder
        self.server = f"Exchange ({cfg.endpoint})"
        self._account: Any = None
        self._folders: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._subscription: str | None = None
        self._watermark: str | None = None
        self._last_full = 0.0
        self._look_owed = False  # a full look at the inbox is due (events seen)
        self.throttling = THROTTLING

    def _ask(self, work: Callable[[Any], T]) -> T:
        """`work(account)` under the lock; a busy Exchange is asked again after the
        back-off it gives (`patiently`, waiting outside the lock). Raises
        MailServerUnavailable (ServerBusy when it stays busy) when Exchange is away."""
        return patiently(partial(self._once, work), self.throttling)

    def _once(self, work: Callable[[Any], T]) -> T:
        """`work(account)` under the lock. Raises ServerBusy for ErrorServerBusy (with
        its back-off, in seconds), MailServerUnavailable when Exchange is away."""
        from exchangelib.errors import ErrorServerBusy

        with self._lock, outages(self.server, is_ews_outage):
            try:
                return work(self._acct())
            except ErrorServerBusy as exc:
                raise ServerBusy(self.server, exc.back_off) from exc

    def _acct(self) -> Any:
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

        password = secret(
            self.cfg.password_env,
            f"Wachtwoord voor Exchange (EWS) ontbreekt: zet {self.cfg.password_env}.",
        )
        if self.cfg.ca_bundle:
            BaseProtocol.HTTP_ADAPTER_CLS = _adapter_for(self.cfg.ca_bundle)
        major, minor, *_ = (int(x) for x in self.cfg.server_build.split("."))
        config = Configuration(
            service_endpoint=self.cfg.endpoint,
            credentials=Credentials(self.cfg.username, password),
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

    def _new_mail(self, account: Any) -> bool:
        """Pull notifications: is a full look at the inbox due? (New mail events since
        the last look, the first call, an expired subscription, or `rescan_seconds`
        without a full look all mean: look.) Called under the lock."""
        from exchangelib.errors import ErrorServerBusy, EWSError

        if not self.cfg.pull:
            return True
        try:
            if self._subscription is None:
                self._subscription, self._watermark = account.inbox.subscribe_to_pull(
                    event_types=PULL_EVENTS, timeout=self.cfg.subscription_minutes
                )
                self._look_owed = True
                return True
            for notification in account.inbox.get_events(
                self._subscription, self._watermark
            ):
                for event in notification.events:
                    self._watermark = (
                        getattr(event, "watermark", None) or self._watermark
                    )
                    if type(event).__name__ in PULL_EVENTS:
                        self._look_owed = True
        except ErrorServerBusy:
            raise  # not a lost subscription: Exchange asks us to wait
        except EWSError as exc:
            log.warning(
                "EWS pull subscription lost (%s); a new one is made", type(exc).__name__
            )
            self._subscription, self._look_owed = None, True
            return True
        return (
            self._look_owed
            or time.monotonic() - self._last_full >= self.cfg.rescan_seconds
        )

    def _look(self, account: Any) -> list[tuple[str, str, datetime]] | None:
        """The inbox's (id, changekey, received) oldest first, when a look is due
        (None: no look due). Called under the lock."""
        if not self._new_mail(account):
            return None
        ids = list(
            account.inbox.all()
            .order_by("datetime_received")
            .values_list("id", "changekey", "datetime_received")
        )
        # only a look that got through counts: a busy one is asked again
        self._last_full, self._look_owed = time.monotonic(), False
        return ids

    def receive(self) -> Iterator[IncomingMail]:
        """The inbox's mails, oldest first, when the pull subscription says a look is
        due (always without `pull`). Raises MailServerUnavailable when Exchange is away.
        """
        ids = self._ask(self._look)
        if ids is None:
            return
        # MIME in batches: memory stays flat with a backlog
        for start in range(0, len(ids), FETCH_BATCH):
            batch = ids[start : start + FETCH_BATCH]
            items = self._ask(partial(fetch_mime, [(i, c) for i, c, _ in batch]))
            for (item_id, changekey, when), item in zip(batch, items, strict=False):
                if isinstance(item, Exception):
                    continue  # gone meanwhile
                mime = item.mime_content
                raw = mime if isinstance(mime, bytes) else (mime or "").encode()
                # a plain datetime
                received = datetime.fromtimestamp(when.timestamp(), UTC)
                yield IncomingMail(
                    key=f"{item_id}\x00{changekey}", raw=raw, received_at=received
                )

    def watch(self, timeout: float) -> None:
        """With `pull`: ask the subscription every `pull_seconds` until new mail is
        reported (or a look is due for another reason) or `timeout` seconds passed;
        without: wait `timeout` seconds. Raises MailServerUnavailable when Exchange is
        away."""
        deadline = time.monotonic() + timeout
        while self.cfg.pull:
            if self._ask(self._new_mail):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.cfg.pull_seconds, left))
        time.sleep(timeout)

    def _folder(self, name: str) -> Any:
        """The folder `name` under the mailbox's root, made when missing. Called under
        the lock."""
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

    def waiting(self) -> int:
        """The inbox folder asked for (GetFolder)."""

        def get_inbox(account: Any) -> int:
            account.inbox.refresh()
            return int(account.inbox.total_count or 0)

        return self._ask(get_inbox)

    def check(self) -> str:
        """The inbox asked for once. Raises ConfigError when Exchange refuses the
        login, MailServerUnavailable when it is away."""
        from exchangelib.errors import UnauthorizedError

        try:
            waiting = self.waiting()
        except UnauthorizedError:
            raise ConfigError(
                f"{self.server} weigert de inlog van {self.cfg.username}; controleer"
                " [ews] username en auth_type en het wachtwoord in"
                f" {self.cfg.password_env}."
            ) from None
        user = self.cfg.mailbox or self.address
        return (
            f"Exchange {self.cfg.endpoint}: map Postvak IN van {user} met"
            f" {waiting} mail(s)"
        )

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        """Move the mail out of the inbox. Raises MailServerUnavailable when Exchange is
        away."""
        from exchangelib import Message

        item_id, _, changekey = key.partition("\x00")

        def move(account: Any) -> None:
            target = self._folder(folder or self.processed_folder)
            Message(account=account, id=item_id, changekey=changekey).move(
                to_folder=target
            )

        self._ask(move)

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """The MIME message as is (SendAndSaveCopy); the recipients are those in its
        headers (To/Cc), as composed by the pipeline. Raises MailServerUnavailable when
        Exchange is away."""
        from exchangelib import Message

        self._ask(
            lambda account: Message(
                account=account, folder=account.sent, mime_content=raw
            ).send_and_save()
        )

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (processed folder, Quarantaine, Sent Items) of these
        mails for retention: found by InternetMessageId, hard-deleted (not to Deleted
        Items). Raises MailServerUnavailable when Exchange is away."""
        folders = self._ask(
            lambda account: [
                self._folder(self.processed_folder),
                self._folder(QUARANTINE),
                account.sent,
            ]
        )
        removed = 0
        for folder in folders:
            for message_id in sorted(message_ids):
                # one mail at a time: a busy server asks again only that one
                removed += self._ask(partial(hard_delete, folder, message_id))
        return removed

    def close(self) -> None:
        """Close the account's connections."""
        with self._lock:
            account, self._account = self._account, None
        if account is not None:
            account.protocol.close()


def fetch_mime(ids: list[tuple[str, str]], account: Any) -> list[Any]:
    """The mails (id, changekey) with their MIME; an exception in place of one that is
    gone."""
    return list(account.fetch(ids=ids, only_fields=["mime_content"]))


def hard_delete(folder: Any, message_id: str, account: Any) -> int:
    """Hard-delete the copies of the mail `message_id` in `folder`; how many there
    were."""
    ids = list(folder.filter(message_id=message_id).values_list("id", "changekey"))
    if ids:
        account.bulk_delete(ids=ids, delete_type="HardDelete")
    return len(ids)


def _adapter_for(ca_bundle: str) -> type[Any]:
    """A requests adapter that trusts the configured CA file (a company CA or a test
    server)."""
    import requests.adapters

    class _CaAdapter(requests.adapters.HTTPAdapter):
        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, ca_bundle, cert)

    return _CaAdapter
