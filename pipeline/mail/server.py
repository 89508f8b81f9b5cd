"""What the mail-server backends (imap, graph, ews) share: their outages as one error
class, secrets from the environment, and the Dutch refusal of what a backend cannot do
(held mails one by one: NoHeldMailMixin).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

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
