"""Composing outgoing mail: Dutch mails from templates (text + HTML), our Message-IDs
and the answer keys in them, and the answer buttons (mailto links).
"""

from __future__ import annotations

import base64
import html
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline import bundled
from pipeline.models import Attachment
from pipeline.stages.advice import ANSWER_BUTTONS, AnswerButton
from pipeline.text import one_line, printable

log = logging.getLogger(f"maatwerk.{__name__}")

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
    """Dutch mails from `templates/mail/*.txt` (first line 'Onderwerp: …'), text and
    HTML."""

    def __init__(
        self, own: Path | None, from_address: str, display_name: str, domain: str
    ):
        folders = bundled.search_path(own, bundled.TEMPLATES)
        self.env = Environment(
            loader=FileSystemLoader([str(f / "mail") for f in folders]),
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
        context: dict[str, Any],
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
        """The mail `template` filled with `context`. Raises ValueError for a template
        that does not start with 'Onderwerp:' or names unknown buttons, and jinja2's
        errors for a value the template needs and `context` lacks."""
        subject, body = self.subject_and_body(template, context, crisis)
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
        add_threading(msg, in_reply_to, references)
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

    def subject_and_body(
        self, template: str, context: dict[str, Any], crisis: bool
    ) -> tuple[str, str]:
        """The subject and body text of `template` filled with `context`. Raises
        ValueError for a template that does not start with 'Onderwerp:'."""
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
        return subject, body


def add_threading(
    msg: EmailMessage, in_reply_to: str | None, references: list[str] | None
) -> None:
    """In-Reply-To and References: the Message-IDs of mails that came in."""
    in_reply_to = one_line(in_reply_to or "")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for r in (one_line(r or "") for r in references or []) if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        msg["References"] = " ".join(refs)


# A template line '[[knoppen: advies]]' places the answer buttons of
# ANSWER_BUTTONS['advies']: mailto links in HTML, the fixed answers to write in the
# plain text.
BUTTON_LINE = re.compile(r"^\[\[knoppen:\s*(\w+)\s*\]\]$")
MAILTO_MAX: Final = (
    1800  # Outlook refuses mailto links longer than about 2000 characters
)
BUTTON_STYLE: Final = (
    "background:#005a9e;border-radius:4px;padding:8px"
    " 16px;font-family:Calibri,Arial,sans-serif;font-size:11pt;font-weight:bold"
)


def buttons_named(name: str) -> tuple[AnswerButton, ...]:
    """The buttons a template line names. Raises ValueError for an unknown name."""
    try:
        return ANSWER_BUTTONS[name]
    except KeyError:
        raise ValueError(f"mail template names unknown buttons '{name}'") from None


def answers_text(buttons: tuple[AnswerButton, ...]) -> str:
    """The fixed answers of `buttons`, for plain text."""
    return "Antwoord op deze mail met op de eerste regel één van:\n" + "\n".join(
        f'- "{b.answer.strip()}" ({b.label.lower()})' for b in buttons
    )


def buttons_as_text(text: str) -> str:
    """The plain text of a mail: each button line becomes the fixed answers to write.
    Raises ValueError for a line that names unknown buttons."""
    return "\n".join(
        (
            answers_text(buttons_named(m.group(1)))
            if (m := BUTTON_LINE.match(line.strip()))
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


def buttons_html(
    buttons: tuple[AnswerButton, ...], mailbox: str, subject: str, kenmerk: str = ""
) -> str:
    """The answer buttons as HTML: mailto links to `mailbox`, and the fixed answers."""
    # a table: Outlook's Word renderer ignores padding and background on a bare link
    cells = '<td style="width:12px"></td>'.join(
        f'<td style="{BUTTON_STYLE}"><a'
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
    Raises ValueError for a line that names unknown buttons.
    """
    blocks: list[str] = []
    for paragraph in (p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()):
        lines: list[str] = []
        for line in paragraph.split("\n") + [""]:
            m = BUTTON_LINE.match(line.strip())
            if lines and (m or line == ""):
                escaped = html.escape("\n".join(lines)).replace("\n", "<br>")
                blocks.append(f"<p>{escaped}</p>")
                lines = []
            if m and mailbox:
                blocks.append(
                    buttons_html(buttons_named(m.group(1)), mailbox, subject, kenmerk)
                )
            elif m:
                lines = answers_text(buttons_named(m.group(1))).split("\n")
            elif line:
                lines.append(line)
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"></head>'
        '<body style="font-family:Calibri,Arial,sans-serif;font-size:11pt">'
        f"{''.join(blocks)}</body></html>"
    )
