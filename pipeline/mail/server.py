"""What the mail-server backends (imap, graph, ews) share: their outages as one error
class, a server that asks us to slow down (ServerBusy, waited for by `patiently`),
secrets from the environment, and the Dutch refusal of what a backend cannot do (held
mails one by one: NoHeldMailMixin).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar

from imapclient.exceptions import IMAPClientError

from pipeline.errors import ConfigError, MailServerUnavailable
from pipeline.mail.mailbox import IncomingMail, Mailbox

log = logging.getLogger(f"maatwerk.{__name__}")

FETCH_BATCH = 20  # mails read per request: memory stays flat with a long backlog
# what the mail libraries raise when the server is away, if one reaches the run loop
# without passing a backend's boundary (socket, ssl, smtplib, requests: all OSError)
LIBRARY_ERRORS: tuple[type[BaseException], ...] = (OSError, IMAPClientError)


def is_mail_server_error(exc: BaseException) -> bool:
    """Is `exc` the mail server being away (raised by a backend or by a library)?"""
    return isinstance(exc, (MailServerUnavailable, *LIBRARY_ERRORS))


@contextmanager
def outages(
    server: str, is_outage: Callable[[BaseException], bool] = is_mail_server_error
) -> Iterator[None]:
    """Turn a library error that `is_outage` recognises into MailServerUnavailable
    (Dutch, naming `server` and the error's type, never its text: it may quote a mail).

    Raises MailServerUnavailable from the library's error.
    """
    try:
        yield
    except MailServerUnavailable:
        raise
    except Exception as exc:
        if not is_outage(exc):
            raise
        raise MailServerUnavailable(
            f"{server} is niet bereikbaar of weigert ({type(exc).__name__}); maatwerk"
            " probeert het later opnieuw."
        ) from exc


T = TypeVar("T")


@dataclass(frozen=True)
class Throttling:
    """How long one call waits for a server that asks it to slow down (Graph's 429/503
    with Retry-After, EWS's ErrorServerBusy with BackOffMilliseconds)."""

    attempts: int  # requests in all, the first one included
    max_wait: float  # seconds: a server asking more in one go is not waited for
    max_total: float  # seconds of waiting in all, within one call
    first_guess: float  # seconds, when the server does not say: doubled each time …
    max_guess: float  # … up to this


THROTTLING: Final = Throttling(
    attempts=6, max_wait=120.0, max_total=300.0, first_guess=1.0, max_guess=30.0
)


class ServerBusy(MailServerUnavailable):
    """`server` asks us to slow down: ask again after `retry_after` seconds, never
    sooner (None: it did not say). A backend raises it for each such answer;
    `patiently` waits and asks again, and lets it out (an outage: the mail waits for a
    later round) when the server stays busy longer than `Throttling` allows."""

    def __init__(
        self, server: str, retry_after: float | None, melding: str | None = None
    ) -> None:
        super().__init__(
            melding
            or f"{server} is bezet en vraagt maatwerk te wachten; de mail wacht en"
            " wordt later opnieuw geprobeerd."
        )
        self.server = server
        self.retry_after = retry_after


def patiently(attempt: Callable[[], T], limits: Throttling) -> T:
    """`attempt()`, asked again while it raises ServerBusy: each time after as long as
    the server said (never sooner), or when it did not say after `first_guess`
    seconds, doubled each time up to `max_guess`. At most `attempts` requests, no
    single wait over `max_wait` and no more than `max_total` seconds in all: a wait
    that would break a limit is not begun.

    Raises ServerBusy (Dutch, how long was waited) when the server stays busy beyond
    those limits; whatever else `attempt` raises passes unchanged.
    """
    tries, waited = 0, 0.0
    while True:
        tries += 1
        try:
            return attempt()
        except ServerBusy as busy:
            guess = min(limits.first_guess * 2 ** (tries - 1), limits.max_guess)
            wait = guess if busy.retry_after is None else busy.retry_after
            if (
                tries >= limits.attempts
                or wait > limits.max_wait
                or waited + wait > limits.max_total
            ):
                log.warning(
                    "%s still busy after %d tries and %.1f s waiting (asks %.1f s"
                    " more); left for a later round",
                    busy.server,
                    tries,
                    waited,
                    wait,
                )
                raise ServerBusy(
                    busy.server,
                    busy.retry_after,
                    f"{busy.server} is bezet en blijft maatwerk afremmen (na {tries}"
                    f" pogingen en {waited:.0f} s wachten); de mail wacht en wordt"
                    " later opnieuw geprobeerd.",
                ) from busy
            log.info("%s is busy: asking again in %.1f s", busy.server, wait)
            time.sleep(wait)  # sleeps at least `wait` (PEP 475)
            waited += wait


def secret(env_name: str, missing: str, *, empty_ok: bool = False) -> str:
    """The password or client secret in environment variable `env_name` (never in the
    config file). Raises ConfigError with the Dutch `missing` when it is not set (or
    empty, unless `empty_ok`)."""
    value = os.environ.get(env_name)
    if value is None or (not value and not empty_ok):
        raise ConfigError(missing)
    return value


def held_mail_unsupported(backend: str, mail_client: str) -> ConfigError:
    """The error of a backend that cannot handle held mails one by one (`maatwerk
    quarantaine`): staff handle the folder in `mail_client` instead."""
    return ConfigError(
        "De map Quarantaine per mail beheren kan (nog) niet met de mailbox"
        f" '{backend}'; handel de mails in de map Quarantaine af in {mail_client}."
    )


class NoHeldMailMixin(Mailbox):
    """The held-mail part of `Mailbox` for a backend that cannot handle held mails one
    by one yet (`maatwerk quarantaine`): each method raises held_mail_unsupported. The
    backend's class names itself and where staff handle the folder Quarantaine instead:
    `class EwsMailbox(NoHeldMailMixin, backend="ews", mail_client="Outlook")`."""

    backend: ClassVar[str]
    mail_client: ClassVar[str]

    def __init_subclass__(
        cls, *, backend: str, mail_client: str, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.backend = backend
        cls.mail_client = mail_client

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """Raises ConfigError: not built for this backend."""
        raise held_mail_unsupported(self.backend, self.mail_client)

    def move_from(self, folder: str, key: str, to: str | None = None) -> None:
        """Raises ConfigError: not built for this backend."""
        raise held_mail_unsupported(self.backend, self.mail_client)

    def delete_from(self, folder: str, key: str) -> None:
        """Raises ConfigError: not built for this backend."""
        raise held_mail_unsupported(self.backend, self.mail_client)
