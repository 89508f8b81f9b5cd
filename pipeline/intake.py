"""Intake stage: an incoming mail or a dropped file → `Submission`.

Attachment names are kept as sent but never used as paths; forwarded mails
(message/rfc822 parts) are opened and their attachments taken too.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Optional

from .extract import sniff
from .mail import IncomingMail
from .models import Attachment, Submission

CASE_TOKEN = re.compile(r"\[(MW-\d{4}-\d{4,})\]", re.I)
FORM_TYPES = {"zip", "odt", "pdf", "ole", "rtf"}  # what may be a form; the extract stage decides
# Where the drop folder's handled files go, by outcome (the folder watcher moves them there).
DROP_OUTCOME_FOLDERS = ("verwerkt", "geweigerd", "quarantaine")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ids(value: Optional[str]) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


# RFC 3834 and what Exchange, Gmail and others write on automatic mail
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatisch bericht|afwezig(heidsbericht)?|out of (the )?office|automatic reply|"
    r"auto(matic)?[ -]?reply|autoreply|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|"
    r"absence)\b", re.I)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(onbestelbaar|niet bezorgd|undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (failed|failure|subsystem)|returned mail|failure notice|delivery failure|unzustellbar|"
    r"non remis)\b", re.I)
SYSTEM_SENDERS = ("mailer-daemon", "postmaster", "microsoftexchange")


def automatic_kind(msg: EmailMessage, raw: bytes, sender: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """('afwezig' | 'niet bezorgd' | 'leesbevestiging' | 'automatisch', for whom) for automatic
    mail; (None, None) for a mail a person wrote."""
    subject = str(msg.get("Subject", ""))
    if msg.get_content_type() == "multipart/report":
        report = (msg.get_param("report-type") or "").lower()
        if report == "disposition-notification":
            return "leesbevestiging", sender
        return "niet bezorgd", _failed_recipient(raw)
    local = (sender or "").partition("@")[0]
    if local.startswith(SYSTEM_SENDERS) or BOUNCE_SUBJECT.match(subject):
        return "niet bezorgd", _failed_recipient(raw)
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if (auto and auto != "no") or msg.get("X-Autoreply") or msg.get("X-Autorespond") or str(
            msg.get("Precedence", "")).strip().lower() == "auto_reply" or AUTO_REPLY_SUBJECT.match(subject):
        return ("afwezig" if auto in ("", "auto-replied") or AUTO_REPLY_SUBJECT.match(subject) else "automatisch",
                sender)
    return None, None


def _failed_recipient(raw: bytes) -> Optional[str]:
    """The address a delivery report says could not be reached (RFC 3464 Final-Recipient)."""
    m = re.search(rb"^(?:Final|Original)-Recipient:\s*rfc822;\s*<?([^\s<>;]+@[^\s<>;]+)>?", raw[:1_000_000],
                  re.I | re.M)
    return m.group(1).decode("ascii", "replace").lower() if m else None


def message_ids_in(raw: bytes, domain: str) -> list[str]:
    """Message-IDs of our own mails anywhere in a mail (a delivery report quotes the original)."""
    pattern = re.compile(rb"<[^<>\s]{1,200}@" + re.escape(domain.encode()) + rb">", re.I)
    return list(dict.fromkeys(m.decode("ascii", "replace") for m in pattern.findall(raw[:2_000_000])))


def from_mail(incoming: IncomingMail) -> Submission:
    msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(incoming.raw)  # type: ignore[assignment]
    message_id = (_ids(str(msg.get("Message-ID", ""))) or [None])[0]
    refs = _ids(str(msg.get("In-Reply-To", ""))) + _ids(str(msg.get("References", "")))
    name, address = parseaddr(str(msg.get("From", "")))
    sender = address.lower() or None
    automatic, automatic_for = automatic_kind(msg, incoming.raw, sender)
    key = f"mail:{message_id}" if message_id else f"mail-sha256:{sha256(incoming.raw)}"
    return Submission(
        source="mail",
        source_ref=message_id or key,
        dedupe_key=key,
        received_at=incoming.received_at,
        sender=sender,
        sender_name=person_name(name),
        automatic=automatic,
        automatic_for=automatic_for,
        subject=str(msg.get("Subject", "")),
        body=body_text(msg),
        message_id=message_id,
        in_reply_to=list(dict.fromkeys(refs)),
        recipients=[a.lower() for _, a in getaddresses([str(msg.get("To", "")), str(msg.get("Cc", ""))]) if a],
        attachments=attachments(msg),
        raw=incoming.raw,
    )


def person_name(display_name: str) -> Optional[str]:
    """The From header's display name when it names a person ('Eva van Dijk'), else None
    ('inkoop@…', 'Team Jeugd Zeist' is kept: it is how the sender calls itself)."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", display_name or "").strip().strip("'\"")
    if not name or "@" in name or len(name) > 80 or not re.search(r"[A-Za-zÀ-ÿ]", name):
        return None
    if "," in name:  # 'Dijk, Eva van' (Outlook's directory order)
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}".strip()
    return name


def from_file(path: Path, received_at: datetime) -> Submission:
    content = Path(path).read_bytes()
    return Submission(
        source="drop",
        source_ref=Path(path).name,
        dedupe_key=f"drop-sha256:{sha256(content)}",
        received_at=received_at,
        attachments=[Attachment(filename=Path(path).name, content=content)],
        path=Path(path),
    )


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text


def html_to_text(markup: str) -> str:
    import html as _html

    t = re.sub(r"(?is)<(script|style|head).*?</\1>", "", markup)
    t = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", t)
    t = re.sub(r"<[^>]+>", "", t)
    return _html.unescape(t)


def attachments(msg: EmailMessage) -> list[Attachment]:
    """Every file in the mail that may be a form: forwarded mails (message/rfc822), attached
    Outlook items (.msg) and winmail.dat (TNEF) are opened; inline images are not forms."""
    out: list[Attachment] = []
    for part in msg.walk():  # walk() also descends into attached message/rfc822 mails
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        if not filename and part.get_content_disposition() != "attachment":
            continue
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:
            continue
        ctype = part.get_content_type()
        if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat":
            out.extend(_from_tnef(content))
        elif ctype == "application/vnd.ms-outlook" or filename.lower().endswith(".msg"):
            out.extend(_from_outlook_item(content))
        elif _may_be_form(filename, content):
            out.append(Attachment(filename=filename or "bijlage", content=content, content_type=ctype))
    return out


def _may_be_form(filename: str, content: bytes) -> bool:
    return sniff(content) in FORM_TYPES or filename.lower().endswith((".docx", ".pdf", ".doc", ".odt", ".rtf"))


def _from_tnef(content: bytes) -> list[Attachment]:
    """The files inside a winmail.dat (Outlook's TNEF wrapper)."""
    import tnefparse

    try:
        tnef = tnefparse.TNEF(content)
    except Exception:  # a broken winmail.dat holds nothing we can read
        return []
    found = []
    for att in tnef.attachments:
        name = att.long_filename() or att.name or "bijlage"
        data = att.data if isinstance(att.data, bytes) else b""
        if _may_be_form(name, data):
            found.append(Attachment(filename=name, content=data))
    return found


def _from_outlook_item(content: bytes) -> list[Attachment]:
    """The files inside an attached Outlook item (.msg), one level of nested items included."""
    import extract_msg

    try:
        item = extract_msg.openMsg(content)
    except Exception:
        return []
    found = []
    try:
        for att in item.attachments:
            data = att.data
            inner = data.attachments if hasattr(data, "attachments") else [att]  # an item inside the item
            for a in inner:
                if isinstance(a.data, bytes):
                    name = a.longFilename or a.shortFilename or "bijlage"
                    if _may_be_form(name, a.data):
                        found.append(Attachment(filename=name, content=a.data))
    finally:
        item.close()
    return found


def case_token(subject: str) -> Optional[str]:
    m = CASE_TOKEN.search(subject or "")
    return m.group(1).upper() if m else None
