"""Mail: the mailbox interface, the embedded Maildir backend, and composing outgoing
mail.

A mailbox does three things: `receive` what waits in the inkoop inbox, `mark_processed`
(move it to a folder) once its outcome is stored, and `send`. The IMAP, Exchange and
Graph backends implement the same interface.
"""

from __future__ import annotations

import base64
import html
import mailbox
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Final, Optional, Protocol
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.models import Attachment
from pipeline.register.folder import DIR_MODE, FILE_MODE
from pipeline.stages.advice import ANSWER_BUTTONS, AnswerButton
from pipeline.text import one_line, printable


@dataclass
class IncomingMail:
    key: str
    raw: bytes
    received_at: datetime


class Mailbox(Protocol):
    address: str

    def receive(self) -> Iterator[IncomingMail]: ...

    def mark_processed(self, key: str, folder: str | None = None) -> None: ...

    def send(self, raw: bytes, recipients: list[str]) -> None: ...

    # the mails held in a folder (Quarantaine), one by one: `maatwerk quarantaine`; a
    # backend that cannot raises ConfigError (Dutch) in its own method
    def list_folder(self, folder: str) -> list[IncomingMail]: ...

    def move_from(self, folder: str, key: str, to: str | None = None) -> None: ...

    def delete_from(self, folder: str, key: str) -> None: ...


class MaildirPostOffice:
    """Local mail on standard Maildir folders: one Maildir per address under `root`.

    Delivering to an address writes into its Maildir, so a local run shows who received
    what (open any folder with a mail client, or `mailbox.Maildir`). Like the register,
    the folders and delivered mails are for owner and group only.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)

    def maildir(self, address: str) -> mailbox.Maildir:
        safe = re.sub(r"[^a-z0-9@._+-]", "_", address.strip().lower())
        path = self.root / safe
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        for sub in (
            "tmp",
            "new",
            "cur",
        ):  # also completes a Maildir half made when a run was killed
            (path / sub).mkdir(mode=DIR_MODE, exist_ok=True)
        return mailbox.Maildir(path, create=True)

    def deliver(self, raw: bytes, recipients: list[str]) -> None:
        """Into each recipient's Maildir, once: the file is named after the Message-ID,
        so a mail sent again after a crash (sent, but not yet marked sent) does not
        arrive twice.
        """
        name = _delivery_name(raw)
        for rcpt in dict.fromkeys(a.lower() for a in recipients):
            box = self.maildir(rcpt)
            root = Path(box._path)
            if name is None:
                os.chmod(root / box._lookup(box.add(raw)), FILE_MODE)
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

    def mailbox(
        self, address: str, processed_folder: str = "Verwerkt"
    ) -> MaildirMailbox:
        return MaildirMailbox(self, address, processed_folder)


def _delivery_name(raw: bytes) -> str | None:
    import hashlib

    m = re.search(rb"^Message-ID:\s*(<[^>\r\n]+>)", raw[:8192], re.I | re.M)
    return f"mw-{hashlib.sha256(m.group(1)).hexdigest()[:32]}.maatwerk" if m else None


from pipeline.folders import QUARANTINE


class MaildirMailbox:
    def __init__(self, office: MaildirPostOffice, address: str, processed_folder: str):
        self.office = office
        self.address = address
        self.processed_folder = processed_folder
        self.inbox = office.maildir(address)

    def receive(self) -> Iterator[IncomingMail]:
        root = Path(self.inbox._path)
        found = []
        for sub in ("new", "cur"):  # one directory scan, not one lookup per mail
            with os.scandir(root / sub) as entries:
                for entry in entries:
                    if entry.is_file() and not entry.name.startswith("."):
                        try:
                            found.append(
                                (
                                    entry.stat().st_mtime,
                                    entry.name.split(self.inbox.colon)[0],
                                    entry.path,
                                )
                            )
                        except FileNotFoundError:
                            continue
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
        rewritten."""
        target = self._folder(folder or self.processed_folder)
        source = Path(self.inbox._path) / self.inbox._lookup(
            key
        )  # KeyError when it is gone
        os.replace(source, Path(target._path) / "cur" / f"{key}{self.inbox.colon}2,S")

    def list_folder(self, folder: str) -> list[IncomingMail]:
        """The mails in `folder` (e.g. Quarantaine), oldest delivery first; keys for
        `move_from`."""
        box = self._folder(folder)
        found = []
        for key in box.iterkeys():
            try:
                path = Path(box._path) / box._lookup(key)
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
        folder `to` marked seen. One rename: the delivery time stays. KeyError when it
        is not there.
        """
        source = self._folder(folder)
        path = Path(source._path) / source._lookup(key)
        if to is None:
            os.replace(path, Path(self.inbox._path) / "new" / key)
        else:
            os.replace(
                path,
                Path(self._folder(to)._path) / "cur" / f"{key}{self.inbox.colon}2,S",
            )

    def delete_from(self, folder: str, key: str) -> None:
        """Delete one mail in `folder`; KeyError when it is not there."""
        self._folder(folder).remove(key)

    def send(self, raw: bytes, recipients: list[str]) -> None:
        self.office.deliver(raw, recipients)
        self._folder("Verzonden").add(raw)

    def purge(self, message_ids: set[str]) -> int:
        """Delete the kept copies (Verwerkt, Quarantaine, Verzonden) of these mails
        (retention)."""
        removed = 0
        for name in (self.processed_folder, QUARANTINE, "Verzonden"):
            folder = self._folder(name)
            for key in list(folder.iterkeys()):
                try:
                    with folder.get_file(key) as f:
                        head = BytesHeaderParser(policy=policy.default).parse(f)
                except (KeyError, FileNotFoundError):
                    continue
                if str(head.get("Message-ID", "")).strip() in message_ids:
                    folder.discard(key)
                    removed += 1
        return removed

    def _folder(self, name: str) -> mailbox.Maildir:
        try:
            folder = self.inbox.get_folder(name)
        except mailbox.NoSuchMailboxError:
            folder = self.inbox.add_folder(name)
        for sub in (
            "tmp",
            "new",
            "cur",
        ):  # a folder half made when a run was killed is completed
            (Path(folder._path) / sub).mkdir(exist_ok=True)
        return folder


# --- composing
# ---------------------------------------------------------------------------

ANSWER_KEY = (  # the random part of our Message-IDs: 128 bits in lower-case base32
    r"[a-z2-7]{26}"
)
CRISIS_LINE = (
    "CRISIS: de zorg mag direct starten; deze aanvraag wordt achteraf verwerkt."
)

# Long subjects (case token, gemeente, aanbieder) are not folded right after "Subject:".
MAIL_POLICY = policy.SMTP.clone(max_line_length=200)


@dataclass
class OutgoingMail:
    message_id: str
    raw: bytes
    recipients: list[str]


class MailComposer:
    """Dutch mails from `templates/mail/*.txt` (first line 'Onderwerp: …'), text + HTML."""

    def __init__(
        self, templates_dir: Path, from_address: str, display_name: str, domain: str
    ):
        self.env = Environment(
            loader=FileSystemLoader(str(Path(templates_dir) / "mail")),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self.from_address = from_address
        self.display_name = display_name
        self.domain = domain

    def new_message_id(self, case_id: str | None) -> str:
        prefix = f"{case_id.lower()}." if case_id else ""
        # 128 random bits (an answer's key: not guessable), short enough that no mail
        # program folds or encodes the id when it quotes it in In-Reply-To (the kind is
        # in the outbox, not here)
        key = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
        return f"<{prefix}{key}@{self.domain}>"

    def compose(
        self,
        template: str,
        context: dict,
        *,
        to: list[str],
        cc: list[str] | None = None,
        case_id: str | None = None,
        kind: str,
        attachments: list[Attachment] | None = None,
        in_reply_to: str | None = None,
        references: list[str] | None = None,
        now: datetime | None = None,
        crisis: bool = False,
    ) -> OutgoingMail:
        text = self.env.get_template(f"{template}.txt").render(**context)
        first, _, body = text.partition("\n")
        if not first.startswith("Onderwerp:"):
            raise ValueError(f"mail template {template} must start with 'Onderwerp:'")
        # the subject and body are templates filled with values: no control character or
        # line break of a value reaches a header, none but line breaks and tabs the body
        subject = one_line(first.removeprefix("Onderwerp:"))
        body = printable(body).lstrip("\n")
        if crisis:  # a crisis case says so in every mail, whatever the template
            subject = subject if "crisis" in subject.lower() else f"{subject} (crisis)"
            if "crisis" not in body.lower():
                body = f"{CRISIS_LINE}\n\n{body}"
        msg = EmailMessage(policy=MAIL_POLICY)
        to, cc = [one_line(a) for a in to], [one_line(a) for a in cc or []]
        msg["From"] = one_line(f"{self.display_name} <{self.from_address}>")
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now or datetime.now(UTC))
        message_id = self.new_message_id(case_id)
        msg["Message-ID"] = message_id
        in_reply_to = one_line(
            in_reply_to or ""
        )  # the Message-IDs of mails that came in
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        refs = [r for r in (one_line(r or "") for r in references or []) if r]
        if in_reply_to and in_reply_to not in refs:
            refs.append(in_reply_to)
        if refs:
            msg["References"] = " ".join(refs)
        msg["Content-Language"] = "nl-NL"
        # RFC 3834: automatic mail; Exchange sends no out-of-office or read receipts
        # back to it
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
        if case_id:
            msg["X-Maatwerk-Zaak"] = case_id
        msg.set_content(buttons_as_text(body))
        msg.add_alternative(
            text_to_html(
                body, mailbox=self.from_address, subject=subject, kenmerk=message_id
            ),
            subtype="html",
        )
        for att in attachments or []:
            maintype, _, subtype = att.content_type.partition("/")
            msg.add_attachment(
                att.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=one_line(att.filename),
            )
        recipients = [a for _, a in getaddresses(to + cc) if a]
        return OutgoingMail(
            message_id=message_id, raw=msg.as_bytes(), recipients=recipients
        )


# A template line '[[knoppen: advies]]' places the answer buttons of
# ANSWER_BUTTONS['advies']: mailto links in HTML, the fixed answers to write in the
# plain text.
_BUTTONS = re.compile(r"^\[\[knoppen:\s*(\w+)\s*\]\]$")
MAILTO_MAX: Final = (
    1800  # Outlook refuses mailto links longer than about 2000 characters
)
_BUTTON_STYLE: Final = (
    "background:#005a9e;border-radius:4px;padding:8px"
    " 16px;font-family:Calibri,Arial,sans-serif;font-size:11pt;font-weight:bold"
)


def _buttons(name: str) -> tuple[AnswerButton, ...]:
    try:
        return ANSWER_BUTTONS[name]
    except KeyError:
        raise ValueError(f"mail template names unknown buttons '{name}'") from None


def _answers_text(buttons: tuple[AnswerButton, ...]) -> str:
    return "Antwoord op deze mail met op de eerste regel één van:\n" + "\n".join(
        f'- "{b.answer.strip()}" ({b.label.lower()})' for b in buttons
    )


def buttons_as_text(text: str) -> str:
    """The plain text of a mail: each button line becomes the fixed answers to write."""
    return "\n".join(
        (
            _answers_text(_buttons(m.group(1)))
            if (m := _BUTTONS.match(line.strip()))
            else line
        )
        for line in text.split("\n")
    )


def mailto(mailbox: str, subject: str, button: AnswerButton, kenmerk: str = "") -> str:
    """A mailto link (RFC 6068) answering with `button`: the answer starts the subject
    (which keeps the case token) and is the first line of the body; the last line is the
    `Kenmerk` of the mail it answers (Outlook's mailto sets no In-Reply-To: this is what
    ties the answer to the mail the adviser received)."""
    answer = button.answer.strip().rstrip(":")
    key = answer_key(kenmerk)
    body = (
        button.answer
        + (f"\n\n{button.follow}" if button.follow else "")
        + (f"\n\n\nKenmerk: {key}" if key else "")
    )

    def enc(value: str) -> str:
        return quote(value.replace("\r\n", "\n").replace("\n", "\r\n"), safe="")

    def link(subj: str) -> str:
        return f"mailto:{quote(mailbox, safe='@')}?subject={enc(subj)}&body={enc(body)}"

    url = link(f"{answer} – {subject}")
    if len(url) > MAILTO_MAX:  # a very long subject: the case token is what matters
        token = re.search(r"\[MW-[^\]]+\]", subject)
        url = link(f"{answer} – {token.group() if token else ''}".strip(" –"))
    return url


def answer_key(message_id: str) -> str:
    """The random part of one of our Message-IDs ('<mw-2027-0001.<26 × base32>@…>'):
    what a one-click answer quotes as its `Kenmerk`."""
    m = re.search(rf"[<.]({ANSWER_KEY})@", message_id)
    return m.group(1) if m else ""


def _buttons_html(
    buttons: tuple[AnswerButton, ...], mailbox: str, subject: str, kenmerk: str = ""
) -> str:
    # a table: Outlook's Word renderer ignores padding and background on a bare link
    cells = '<td style="width:12px"></td>'.join(
        f'<td style="{_BUTTON_STYLE}"><a'
        f' href="{html.escape(mailto(mailbox, subject, b, kenmerk))}"'
        f' style="color:#ffffff;text-decoration:none">{html.escape(b.label)}</a></td>'
        for b in buttons
    )
    answers = " of ".join(
        f"&quot;{html.escape(b.answer.strip())}&quot;" for b in buttons
    )
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" border="0"'
        f' style="margin:4px 0 8px 0"><tr>{cells}</tr></table><p'
        ' style="color:#595959;font-size:9pt">Een knop opent een mail aan'
        f" {html.escape(mailbox)} met uw keuze al ingevuld; vul uw toelichting aan en"
        " verstuur de mail. Werkt een knop niet, antwoord dan op deze mail met op de"
        f" eerste regel {answers}.</p>"
    )


def text_to_html(
    text: str, *, mailbox: str | None = None, subject: str = "", kenmerk: str = ""
) -> str:
    """Plain Dutch mail text → simple HTML; every character of it escaped. A button line
    becomes mailto buttons to `mailbox` (without a mailbox: the fixed answers as text).
    """
    blocks: list[str] = []
    for paragraph in (p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()):
        lines: list[str] = []
        for line in paragraph.split("\n") + [""]:
            m = _BUTTONS.match(line.strip())
            if lines and (m or line == ""):
                blocks.append(
                    f"<p>{html.escape(chr(10).join(lines)).replace(chr(10), '<br>')}</p>"
                )
                lines = []
            if m and mailbox:
                blocks.append(
                    _buttons_html(_buttons(m.group(1)), mailbox, subject, kenmerk)
                )
            elif m:
                lines = _answers_text(_buttons(m.group(1))).split("\n")
            elif line:
                lines.append(line)
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"></head>'
        "<body"
        f' style="font-family:Calibri,Arial,sans-serif;font-size:11pt">{"".join(blocks)}</body></html>'
    )
