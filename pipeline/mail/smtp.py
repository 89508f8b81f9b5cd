"""Sending over SMTP (for the IMAP backend): one kept-open connection, opened again
once when the server dropped it."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl

from pipeline.config import SmtpSettings
from pipeline.errors import ConfigError
from pipeline.mail.server import outages, secret

log = logging.getLogger(f"maatwerk.{__name__}")
SERVICE_NOT_AVAILABLE = 421  # the SMTP reply of a server going away for a while


def is_smtp_outage(exc: BaseException) -> bool:
    """Is the SMTP server away (no connection, dropped, 421)? A server that answers
    and refuses the mail (recipients, sender, size, password) is not."""
    if isinstance(exc, smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == SERVICE_NOT_AVAILABLE
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPNotSupportedError):
        return False
    return isinstance(exc, OSError)


class SmtpSender:
    def __init__(self, cfg: SmtpSettings, address: str):
        self.cfg = cfg
        self.address = address
        self.server = f"De SMTP-server {cfg.host}:{cfg.port}"
        self._smtp: smtplib.SMTP | None = None

    def _conn(self) -> smtplib.SMTP:
        if self._smtp is None:
            cfg = self.cfg
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
                password = secret(
                    cfg.password_env,
                    "Wachtwoord voor SMTP ontbreekt: zet de omgevingsvariabele"
                    f" {cfg.password_env}.",
                    empty_ok=True,
                )
                smtp.login(cfg.username or self.address, password)
            self._smtp = smtp
        return self._smtp

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """Send `raw` to `recipients`. Raises MailServerUnavailable when the server is
        away, smtplib's errors when it refuses the mail, ConfigError without a password.
        """
        with outages(self.server, is_smtp_outage):
            for attempt in (1, 2):
                try:
                    self._conn().sendmail(self.address, recipients, raw)
                    return
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    self._smtp = None
                    if attempt == 2:
                        raise

    def check(self) -> str:
        """Connect and log in (nothing is sent). Raises MailServerUnavailable."""
        try:
            with outages(self.server, is_smtp_outage):
                self._conn().noop()
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"{self.server} weigert de inlog ({exc.smtp_code}); controleer [smtp]"
                f" username en het wachtwoord in {self.cfg.password_env}."
            ) from None
        return f"SMTP {self.cfg.host}:{self.cfg.port} ({self.cfg.security}): verbonden"

    def close(self) -> None:
        """Quit the connection; errors of a server already gone are ignored."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None
