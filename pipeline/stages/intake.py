"""Intake stage: an incoming mail or a dropped file → `Submission`.

Attachment names are kept as sent but never used as paths; forwarded mails
(message/rfc822 parts) are opened and their attachments taken too.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr
from pathlib import Path

from pipeline.mail.mailbox import IncomingMail
from pipeline.models import Attachment, Submission
from pipeline.stages.extract import sniff

log = logging.getLogger(f"maatwerk.{__name__}")

CASE_TOKEN = re.compile(r"\[(MW-\d{4}-\d{4,})\]", re.I)
FORM_TYPES = {
    "zip",
    "odt",
    "pdf",
    "ole",
    "rtf",
}  # what may be a form; the extract stage decides


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# A Message-ID as RFC 5322 writes it: <left@right>, both parts non-empty. Anything else
# (`<>`, `<@host>`, a 700-character id) is no id: the mail is known by its content
# alone.
MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
# characters; far above what mail clients write (about 60), well inside the store's
# columns
MAX_ID_LENGTH = 250
# ids of a long thread kept for matching: In-Reply-To's and the newest References
MAX_REFERENCES = 100
MAX_ADDRESS_LENGTH = 254  # RFC 5321: a longer address cannot be mailed
# forwarded mails inside forwarded mails opened; deeper ones are not (see `attachments`)
MAX_NESTING = 10


def _ids(value: str | None) -> list[str]:
    """The well-formed Message-IDs in a header value, in order."""
    return [m for m in MESSAGE_ID.findall(value or "") if len(m) <= MAX_ID_LENGTH]


def _raw_header(msg: EmailMessage, name: str) -> str:
    """A header's values as sent, unparsed: the email package's parser raises on some
    malformed ids (`<>`, `<@host>`: IndexError), and an id needs no decoding."""
    return " ".join(str(v) for k, v in msg.raw_items() if k.lower() == name.lower())


def _header(msg: EmailMessage, name: str) -> str:
    """A header's decoded value; as sent when the email package cannot parse it."""
    try:
        return str(msg.get(name, ""))
    except Exception:  # a header the parser chokes on is still text
        return _raw_header(msg, name)


def content_hash(raw: bytes) -> str:
    """What a mail says, apart from the servers it passed: From, Subject and the body
    (with every attachment). The same mail delivered twice has the same hash; a second
    mail that reuses a Message-ID with other content does not."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or b"\n\n" in head:
        head, _, body = raw.partition(b"\n\n")
    wanted = [
        line
        for line in re.split(rb"\r?\n(?![ \t])", head)
        if line.lower().startswith((b"from:", b"subject:"))
    ]
    return sha256(b"\n".join(wanted) + b"\n\n" + body)


# RFC 3834 and what Exchange, Gmail and others write on automatic mail
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatisch bericht|afwezig(heidsbericht)?|out of (the"
    r" )?office|automatic reply|"
    r"auto(matic)?[ -]?reply|autoreply|abwesenheitsnotiz|automatische"
    r" antwort|r[ée]ponse automatique|"
    r"absence)\b",
    re.I,
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(onbestelbaar|niet bezorgd|undeliverable|undelivered mail|delivery status"
    r" notification|"
    r"mail delivery (failed|failure|subsystem)|returned mail|failure notice|delivery"
    r" failure|unzustellbar|"
    r"non remis)\b",
    re.I,
)
SYSTEM_SENDERS = ("mailer-daemon", "postmaster", "microsoftexchange")


def automatic_kind(
    msg: EmailMessage, raw: bytes, sender: str | None
) -> tuple[str | None, str | None]:
    """('afwezig' | 'niet bezorgd' | 'leesbevestiging' | 'automatisch', for whom) for
    automatic mail; (None, None) for a mail a person wrote."""
    subject = str(msg.get("Subject", ""))
    if msg.get_content_type() == "multipart/report":
        param = msg.get_param("report-type") or ""
        report = (
            param if isinstance(param, str) else collapse_rfc2231_value(param)
        ).lower()
        if report == "disposition-notification":
            return "leesbevestiging", sender
        return "niet bezorgd", _failed_recipient(raw)
    local = (sender or "").partition("@")[0]
    if local.startswith(SYSTEM_SENDERS) or BOUNCE_SUBJECT.match(subject):
        return "niet bezorgd", _failed_recipient(raw)
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if (
        (auto and auto != "no")
        or msg.get("X-Autoreply")
        or msg.get("X-Autorespond")
        or str(msg.get("Precedence", "")).strip().lower() == "auto_reply"
        or AUTO_REPLY_SUBJECT.match(subject)
    ):
        return (
            (
                "afwezig"
                if auto in ("", "auto-replied") or AUTO_REPLY_SUBJECT.match(subject)
                else "automatisch"
            ),
            sender,
        )
    return None, None


def _failed_recipient(raw: bytes) -> str | None:
    """The address a delivery report says could not be reached (RFC 3464
    Final-Recipient)."""
    m = re.search(
        rb"^(?:Final|Original)-Recipient:\s*rfc822;\s*<?([^\s<>;]+@[^\s<>;]+)>?",
        raw[:1_000_000],
        re.I | re.M,
    )
    return m.group(1).decode("ascii", "replace").lower() if m else None


def message_ids_in(raw: bytes, domain: str) -> list[str]:
    """Message-IDs of our own mails anywhere in a mail (a delivery report quotes the
    original)."""
    pattern = re.compile(
        rb"<[^<>\s]{1,200}@" + re.escape(domain.encode()) + rb">", re.I
    )
    return list(
        dict.fromkeys(
            m.decode("ascii", "replace") for m in pattern.findall(raw[:2_000_000])
        )
    )


@dataclass
class MailSubmission(Submission):
    """A mail's `Submission` with what intake did not open (Dutch, for the answer to the
    sender)."""

    niet_geopend: list[str] = field(default_factory=list)


TOO_DEEP = (
    f"De mail bevat doorgestuurde mails die meer dan {MAX_NESTING} keer in elkaar"
    " zitten; zo diep openen wij een mail niet."
)


def parse_mail(raw: bytes) -> tuple[EmailMessage, bool]:
    """The parsed mail, and whether it is whole. A mail nested deeper than Python's
    parser can follow (it recurses per level: about 500 forwards) is read for its
    headers only."""
    parser = BytesParser(policy=policy.default)
    try:
        return parser.parsebytes(raw), True
    except RecursionError:
        return parser.parsebytes(raw, headersonly=True), False


def from_mail(incoming: IncomingMail) -> MailSubmission:
    """The mail as a `MailSubmission`. Never raises on a mail's content: odd headers,
    malformed ids and deep nesting are read as far as they are sound."""
    msg, whole = parse_mail(incoming.raw)
    message_id = next(iter(_ids(_raw_header(msg, "Message-ID"))), None)
    replied = _ids(_raw_header(msg, "In-Reply-To"))
    refs = replied + _ids(_raw_header(msg, "References"))[-MAX_REFERENCES:]
    name, address = parseaddr(_header(msg, "From"))
    sender = address.lower() if address and len(address) <= MAX_ADDRESS_LENGTH else None
    automatic, automatic_for = automatic_kind(msg, incoming.raw, sender)
    digest = content_hash(incoming.raw)
    key = f"mail:{message_id}:{digest[:32]}" if message_id else f"mail-sha256:{digest}"
    found, skipped = attachments(msg) if whole else ([], [TOO_DEEP])
    return MailSubmission(
        source="mail",
        source_ref=message_id or key,
        dedupe_key=key,
        received_at=incoming.received_at,
        sender=sender,
        sender_name=person_name(name),
        automatic=automatic,
        automatic_for=automatic_for,
        subject=_header(msg, "Subject"),
        body=body_text(msg) if whole else "",
        message_id=message_id,
        in_reply_to=list(dict.fromkeys(refs)),
        recipients=[
            a.lower()
            for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")])
            if a and len(a) <= MAX_ADDRESS_LENGTH
        ],
        attachments=found,
        raw=incoming.raw,
        niet_geopend=skipped,
    )


def person_name(display_name: str) -> str | None:
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
    """A dropped file. Only a regular file of its own is read — never through a symbolic
    link, never a pipe or device — and no more than the size it had when opened (the
    folder watcher refused anything else already; this holds when the entry was swapped
    meanwhile). Raises OSError when it is not such a file or is still growing: it is
    left in place, and the watcher judges it again."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            raise OSError("not a regular file of its own")
        content = fh.read(st.st_size + 1)
    if len(content) != st.st_size:
        raise OSError("the file changed while it was read")
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
        payload = part.get_payload(decode=True)
        text = (
            payload.decode("utf-8", errors="replace")
            if isinstance(payload, bytes)
            else ""
        )
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text


def html_to_text(markup: str) -> str:
    import html as _html

    t = re.sub(r"(?is)<(script|style|head).*?</\1>", "", markup)
    t = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", t)
    t = re.sub(r"<[^>]+>", "", t)
    return _html.unescape(t)


def attachments(msg: EmailMessage) -> tuple[list[Attachment], list[str]]:
    """Every file in the mail that may be a form, and why some parts were not opened
    (Dutch). Forwarded mails (message/rfc822), attached Outlook items (.msg) and
    winmail.dat (TNEF) are opened, up to MAX_NESTING mails deep (a stack, not recursion:
    a forward nested 1000 deep is no RecursionError); inline images are not forms. Files
    with the same name are all kept.
    """
    out: list[Attachment] = []
    skipped: list[str] = []
    stack: list[tuple[EmailMessage, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_multipart():
            inner = part.get_payload()
            nested = depth + (part.get_content_maintype() == "message")
            if nested > MAX_NESTING:
                if TOO_DEEP not in skipped:
                    skipped.append(TOO_DEEP)
                continue
            if isinstance(inner, list):  # pushed reversed: taken in the mail's order
                stack.extend(
                    (p, nested) for p in reversed(inner) if isinstance(p, EmailMessage)
                )
            continue
        found = _attachment(part)
        out.extend(found)
    return out, skipped


def _attachment(part: EmailMessage) -> list[Attachment]:
    """The files one leaf part holds that may be forms."""
    filename = part.get_filename() or ""
    if not filename and part.get_content_disposition() != "attachment":
        return []
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return []
    content = payload if isinstance(payload, bytes) else b""
    ctype = part.get_content_type()
    if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat":
        return _from_tnef(content)
    if ctype == "application/vnd.ms-outlook" or filename.lower().endswith(".msg"):
        return _from_outlook_item(content)
    if _may_be_form(filename, content):
        return [
            Attachment(
                filename=filename or "bijlage", content=content, content_type=ctype
            )
        ]
    return []


def _may_be_form(filename: str, content: bytes) -> bool:
    return sniff(content) in FORM_TYPES or filename.lower().endswith(
        (".docx", ".pdf", ".doc", ".odt", ".rtf")
    )


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
    """The files inside an attached Outlook item (.msg), one level of nested items
    included."""
    import extract_msg

    try:
        item = extract_msg.openMsg(content)
    except Exception:
        return []
    found = []
    try:
        for att in item.attachments:
            data = att.data
            inner = (
                data.attachments if hasattr(data, "attachments") else [att]
            )  # an item inside the item
            for a in inner:
                if isinstance(a.data, bytes):
                    name = a.longFilename or a.shortFilename or "bijlage"
                    if _may_be_form(name, a.data):
                        found.append(Attachment(filename=name, content=a.data))
    finally:
        item.close()
    return found


def case_token(subject: str) -> str | None:
    m = CASE_TOKEN.search(subject or "")
    return m.group(1).upper() if m else None
