"""Mail: the `Mailbox` interface and its backends, one module each (maildir, imap,
graph, ews), and composing outgoing mail (compose.py).

`open_mailbox(settings)` gives the configured backend behind the one interface.
"""

from __future__ import annotations

import logging

from pipeline.config import Settings
from pipeline.mail.compose import (
    ANSWER_KEY,
    MailComposer,
    OutgoingMail,
    answer_key,
    mailto,
    text_to_html,
)
from pipeline.mail.mailbox import IncomingMail, Mailbox
from pipeline.mail.maildir import MaildirMailbox, MaildirPostOffice

log = logging.getLogger(f"maatwerk.{__name__}")

__all__ = [
    "ANSWER_KEY",
    "IncomingMail",
    "MailComposer",
    "Mailbox",
    "MaildirMailbox",
    "MaildirPostOffice",
    "OutgoingMail",
    "answer_key",
    "mailto",
    "open_mailbox",
    "text_to_html",
]


def open_mailbox(settings: Settings) -> Mailbox:
    """The configured mailbox backend (`[mailbox] backend`) behind the one interface;
    the server backends are imported only when chosen. Connects to nothing yet."""
    mb = settings.mailbox
    if mb.backend == "imap":
        from pipeline.mail.imap import ImapMailbox

        return ImapMailbox(
            settings.imap, settings.smtp, mb.address, mb.processed_folder
        )
    if mb.backend == "graph":
        from pipeline.mail.graph import GraphMailbox

        return GraphMailbox(settings.graph, mb.address, mb.processed_folder)
    if mb.backend == "ews":
        from pipeline.mail.ews import EwsMailbox

        return EwsMailbox(settings.ews, mb.address, mb.processed_folder)
    return MaildirPostOffice(mb.maildir_root).mailbox(mb.address, mb.processed_folder)
