"""Whether an answer on a case comes from whom it says: before an advice, a referrer's
answer or a signed contract moves a case, all of these must hold:

1. the From header names exactly one mailbox, without parse defects, and no other
   address in its display name (`"i.bakker@bunnik.nl" <x@evil.test>` is x@evil.test, and
   unverified);
2. the mail answers a mail the product sent to that address: one of its
   In-Reply-To/References ids, or the `Kenmerk:` of a one-click answer, is a Message-ID
   of the outbox whose recipients hold the sender (Message-IDs carry 128 random bits:
   not guessable);
3. where the receiving server wrote `Authentication-Results` (RFC 8601; Exchange Online
   and on-premises do, as does a DMARC-checking gateway), its DMARC result passed, or
   Exchange marked the mail internal — as `[security] dmarc` asks (see
   config.example.toml).

Only the topmost Authentication-Results header is read (the receiving server adds it
above the others; lower ones may be the sender's own), and with `[security]
vertrouwde_servers` only one whose authserv-id is listed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.mail import ANSWER_KEY
from pipeline.models import Submission

log = logging.getLogger(f"maatwerk.{__name__}")

KENMERK = re.compile(rf"\bkenmerk\s*:\s*({ANSWER_KEY})\b", re.I)
_RESULT = re.compile(r"\bdmarc\s*=\s*([a-z]+)", re.I)


@dataclass(frozen=True)
class Check:
    ok: bool
    # in Dutch, for the case history and ICM: why it is not verified ('' when it is)
    reason: str


def single_sender(raw: bytes) -> str | None:
    """The one address of the From header, or None when it names several, none, or
    parses with defects or with another address in its display name."""
    head = BytesHeaderParser(policy=policy.default).parsebytes(raw[:200_000])
    values = head.get_all("From") or []
    if len(values) != 1:
        return None
    header = values[0]
    if getattr(header, "defects", ()) or len(getattr(header, "addresses", ())) != 1:
        return None
    address = header.addresses[0]
    addr = (address.addr_spec or "").lower()
    if not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", addr):
        return None
    others = {
        a.lower()
        for a in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", address.display_name or "")
    }
    return addr if others <= {addr} else None


def _authserv_id(value: str) -> str:
    """The server that wrote an Authentication-Results header: its first word (RFC
    8601)."""
    first = value.split(";", 1)[0].split()
    return first[0].lower() if first else ""


def _authentication(raw: bytes, trusted: tuple[str, ...]) -> tuple[str | None, bool]:
    """(the DMARC result of the receiving server's Authentication-Results, or None when
    it wrote none; whether Exchange marked the mail internal)."""
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:200_000])
    internal = (
        str(head.get("X-MS-Exchange-Organization-AuthAs", "")).strip().lower()
        == "internal"
    )
    results = head.get_all("Authentication-Results") or []
    if trusted:
        results = [r for r in results if _authserv_id(r) in trusted]
    if not results:
        return None, internal
    m = _RESULT.search(" ".join(str(results[0]).split()))
    return (m.group(1).lower() if m else "none"), internal


def check(
    s: Session, sub: Submission, *, dmarc: str, trusted_servers: tuple[str, ...] = ()
) -> Check:
    """Whether `sub` is an answer from its sender to a mail the product sent them."""
    raw = sub.raw or b""
    sender = single_sender(raw) if raw else sub.sender
    if sender is None or sender != (sub.sender or "").lower():
        return Check(
            False,
            "de afzender is niet eenduidig (meer dan één adres of een adres in de"
            " naam)",
        )
    keys = {m.group(1) for m in KENMERK.finditer(sub.body or "")}
    sent = store.recipients_of_mails(s, sub.in_reply_to, list(keys)[:5])
    if not any(sender in {a.strip().lower() for a in row.split(",")} for row in sent):
        return Check(
            False, f"het is geen antwoord op een mail die aan {sender} is gestuurd"
        )
    if dmarc != "uit" and raw:
        result, internal = _authentication(
            raw, tuple(t.lower() for t in trusted_servers)
        )
        passed = internal or result in ("pass", "bestguesspass")
        if result is not None and not passed:
            return Check(
                False,
                "de mailserver meldt dat de afzender niet is gecontroleerd (DMARC:"
                f" {result})",
            )
        if result is None and dmarc == "vereist" and not internal:
            return Check(
                False,
                "de mailserver heeft de afzender niet gecontroleerd (geen"
                " DMARC-uitslag)",
            )
    return Check(True, "")


@dataclass(frozen=True)
class ServerReport:
    """What the receiving mail server writes on incoming mail, for `maatwerk check`."""

    mails: int
    with_results: (
        int  # mails with an Authentication-Results header (trusted, as configured)
    )
    dmarc: dict[str, int]  # DMARC result → number of mails
    internal: int  # marked internal by Exchange
    servers: tuple[str, ...]  # authserv-ids seen in the topmost header


def server_report(
    raws: list[bytes], trusted_servers: tuple[str, ...] = ()
) -> ServerReport:
    dmarc: dict[str, int] = {}
    servers: dict[str, None] = {}
    with_results = internal = 0
    for raw in raws:
        result, is_internal = _authentication(
            raw, tuple(t.lower() for t in trusted_servers)
        )
        internal += is_internal
        if result is not None:
            with_results += 1
            dmarc[result] = dmarc.get(result, 0) + 1
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:200_000])
        top = (head.get_all("Authentication-Results") or [""])[0]
        if top and "=" not in _authserv_id(top):
            servers[_authserv_id(top)] = None
    return ServerReport(len(raws), with_results, dmarc, internal, tuple(servers))
