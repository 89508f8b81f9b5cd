"""Mail: the mailbox interface, the embedded Maildir backend, and composing outgoing mail.

A mailbox does three things: `receive` what waits in the inkoop inbox, `mark_processed`
(move it to a folder) once its outcome is stored, and `send`. The IMAP, Exchange and
Graph backends implement the same interface.
"""
from __future__ import annotations

import html
import mailbox
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Iterator, Optional, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .models import Attachment


@dataclass
class IncomingMail:
    key: str
    raw: bytes
    received_at: datetime


class Mailbox(Protocol):
    address: str

    def receive(self) -> Iterator[IncomingMail]: ...

    def mark_processed(self, key: str, folder: Optional[str] = None) -> None: ...

    def send(self, raw: bytes, recipients: list[str]) -> None: ...


class MaildirPostOffice:
    """Local mail on standard Maildir folders: one Maildir per address under `root`.

    Delivering to an address writes into its Maildir, so a local run shows who received
    what (open any folder with a mail client, or `mailbox.Maildir`).
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def maildir(self, address: str) -> mailbox.Maildir:
        safe = re.sub(r"[^a-z0-9@._+-]", "_", address.strip().lower())
        return mailbox.Maildir(self.root / safe, create=True)

    def deliver(self, raw: bytes, recipients: list[str]) -> None:
        for rcpt in dict.fromkeys(a.lower() for a in recipients):
            self.maildir(rcpt).add(mailbox.MaildirMessage(raw))

    def mailbox(self, address: str, processed_folder: str = "Verwerkt") -> "MaildirMailbox":
        return MaildirMailbox(self, address, processed_folder)


class MaildirMailbox:
    def __init__(self, office: MaildirPostOffice, address: str, processed_folder: str):
        self.office = office
        self.address = address
        self.processed_folder = processed_folder
        self.inbox = office.maildir(address)

    def receive(self) -> Iterator[IncomingMail]:
        for key in sorted(self.inbox.iterkeys(), key=self._delivery_time):
            try:
                msg = self.inbox.get_message(key)
            except (KeyError, FileNotFoundError):
                continue  # moved away meanwhile
            raw = msg.as_bytes()
            yield IncomingMail(key=key, raw=raw, received_at=datetime.fromtimestamp(msg.get_date(), timezone.utc))

    def _delivery_time(self, key: str) -> float:
        try:
            return self.inbox.get_message(key).get_date()
        except (KeyError, FileNotFoundError):
            return 0.0

    def mark_processed(self, key: str, folder: Optional[str] = None) -> None:
        target = self._folder(folder or self.processed_folder)
        msg = self.inbox.get_message(key)
        msg.add_flag("S")
        target.add(msg)  # written (fsync'd by mailbox) before the inbox copy goes
        self.inbox.discard(key)

    def send(self, raw: bytes, recipients: list[str]) -> None:
        self.office.deliver(raw, recipients)
        self._folder("Verzonden").add(mailbox.MaildirMessage(raw))

    def _folder(self, name: str) -> mailbox.Maildir:
        try:
            return self.inbox.get_folder(name)
        except mailbox.NoSuchMailboxError:
            return self.inbox.add_folder(name)


# --- composing ---------------------------------------------------------------------------

# Long subjects (case token, gemeente, aanbieder) are not folded right after "Subject:".
MAIL_POLICY = policy.SMTP.clone(max_line_length=200)


@dataclass
class OutgoingMail:
    message_id: str
    raw: bytes
    recipients: list[str]


class MailComposer:
    """Dutch mails from `templates/mail/*.txt` (first line 'Onderwerp: …'), text + HTML."""

    def __init__(self, templates_dir: Path, from_address: str, display_name: str, domain: str):
        self.env = Environment(loader=FileSystemLoader(str(Path(templates_dir) / "mail")),
                               undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self.from_address = from_address
        self.display_name = display_name
        self.domain = domain

    def new_message_id(self, case_id: Optional[str], kind: str) -> str:
        prefix = f"{case_id.lower()}." if case_id else ""
        return f"<{prefix}{kind}.{uuid.uuid4().hex[:12]}@{self.domain}>"

    def compose(self, template: str, context: dict, *, to: list[str], cc: Optional[list[str]] = None,
                case_id: Optional[str] = None, kind: str, attachments: Optional[list[Attachment]] = None,
                in_reply_to: Optional[str] = None, references: Optional[list[str]] = None,
                now: Optional[datetime] = None) -> OutgoingMail:
        text = self.env.get_template(f"{template}.txt").render(**context)
        first, _, body = text.partition("\n")
        if not first.startswith("Onderwerp:"):
            raise ValueError(f"mail template {template} must start with 'Onderwerp:'")
        subject = first.removeprefix("Onderwerp:").strip()
        body = body.lstrip("\n")
        msg = EmailMessage(policy=MAIL_POLICY)
        msg["From"] = f"{self.display_name} <{self.from_address}>"
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
        message_id = self.new_message_id(case_id, kind)
        msg["Message-ID"] = message_id
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        refs = [r for r in (references or []) if r]
        if in_reply_to and in_reply_to not in refs:
            refs.append(in_reply_to)
        if refs:
            msg["References"] = " ".join(refs)
        msg["Content-Language"] = "nl-NL"
        if case_id:
            msg["X-Maatwerk-Zaak"] = case_id
        msg.set_content(body)
        msg.add_alternative(text_to_html(body), subtype="html")
        for att in attachments or []:
            maintype, _, subtype = att.content_type.partition("/")
            msg.add_attachment(att.content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=att.filename)
        recipients = [a for _, a in getaddresses(to + (cc or [])) if a]
        return OutgoingMail(message_id=message_id, raw=msg.as_bytes(), recipients=recipients)


def text_to_html(text: str) -> str:
    """Plain Dutch mail text → simple HTML; every character of it escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return ('<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:Calibri,Arial,sans-serif;font-size:11pt">{body}</body></html>')
