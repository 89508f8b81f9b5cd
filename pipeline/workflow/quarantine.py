"""What the mailbox folder Quarantaine holds and why, and what staff did with each held
mail.

A mail is held when it has no form (its sender was answered), comes from a sender
outside `[intake] allowed_senders` (ICM was told), is an automatic reply without a case,
or failed `[intake] max_pogingen` times (a fault of ours, set aside so the next mail
goes on; its sender and ICM were told, and the log of `maatwerk run` says where). The
reason is read back from the store — the mail's `received` row and the answers in the
outbox — so nothing about it needs to be kept beside the mail. The table `quarantaine`
logs who took a held mail back (`opnieuw verwerkt`), released it as handled by hand
(`vrijgegeven`) or deleted it, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from enum import StrEnum

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.errors import HeldMailNotFound
from pipeline.mail import IncomingMail
from pipeline.stages import intake
from pipeline.states import Received
from pipeline.workflow.mails import Kind

log = logging.getLogger(f"maatwerk.{__name__}")


class HeldAction(StrEnum):
    opnieuw = "opnieuw verwerkt"
    vrijgegeven = "vrijgegeven"
    verwijderd = "verwijderd"


@dataclass
class HeldMail:
    nummer: int  # 1 = the oldest held mail; as `maatwerk quarantaine` lists them
    key: str  # the backend's key in the folder
    received_at: datetime
    sender: str | None
    subject: str
    message_id: str | None
    dedupe_key: str
    reden: str


NOT_ANSWERED_KINDS = ("geen-formulier",)  # the answer a held mail's sender may have had


def describe(
    s: Session,
    mails: list[IncomingMail],
    sender_allowed: Callable[[str | None], bool],
) -> list[HeldMail]:
    """The held mails, numbered oldest first, each with the reason it is held (Dutch).
    Ties in delivery time go by the mail's own key, not the server's: a mail taken back
    and held again keeps its number (an IMAP move gives it a new UID, not a new
    INTERNALDATE)."""
    found = []
    for mail in mails:
        try:  # (from_mail reads any mail; should it fail, the listing still stands)
            sub = intake.from_mail(mail)
            key, message_id, sender, subject = (
                sub.dedupe_key,
                sub.message_id,
                sub.sender,
                sub.subject,
            )
            why = _reason(s, key, message_id, sender, sender_allowed)
        except Exception:  # the mail itself cannot be read: that is why it is held
            head = BytesHeaderParser(policy=policy.compat32).parsebytes(mail.raw)
            sender = parseaddr(str(head.get("From", "")))[1].lower() or None
            key, message_id, subject = (
                f"mail-sha256:{intake.sha256(mail.raw)}",
                None,
                str(head.get("Subject", "")),
            )
            why = _poison_reason(s, key) or "de mail zelf is niet te lezen"
        found.append(
            HeldMail(
                0,
                mail.key,
                mail.received_at,
                sender,
                subject.strip(),
                message_id,
                key,
                why,
            )
        )
    found.sort(key=lambda m: (m.received_at, m.dedupe_key))
    for n, held in enumerate(found, start=1):
        held.nummer = n
    return found


def _reason(
    s: Session,
    key: str,
    message_id: str | None,
    sender: str | None,
    sender_allowed: Callable[[str | None], bool],
) -> str:
    row = store.already_received(s, key)
    if row is None:  # handle_mail stores nothing when it fails: the rollback took all
        return (
            _poison_reason(s, key)
            or "fout bij het verwerken (zie het log van 'maatwerk run')"
        )
    if row.outcome == Received.automatisch_onbekend:
        return "automatisch antwoord (afwezig, niet bezorgd) zonder zaak"
    if row.outcome != Received.geen_formulier:
        return f"al verwerkt ({row.outcome})"
    if (
        sender
        and message_id
        and answered_before(s, Kind.geen_formulier, message_id, [sender], None)
    ):
        return "geen aanvraagformulier in de mail; de afzender is geantwoord"
    if not sender_allowed(sender):
        return "afzender niet toegestaan ([intake] allowed_senders); ICM is ingelicht"
    return "afzender was niet toegestaan en staat nu op de lijst: opnieuw verwerken kan"


def _poison_reason(s: Session, key: str) -> str | None:
    """Why a mail set aside after failing again and again is held (`[intake]
    max_pogingen`)."""
    row = store.mail_attempt(s, key)
    if row is None or row.set_aside_at is None:
        return None
    return (
        f"fout bij het verwerken, {row.failures} keer geprobeerd ({row.last_error}; zie"
        " het log van 'maatwerk run'); apart gezet, de afzender en ICM zijn ingelicht"
    )


def answered_before(
    s: Session,
    kind: str,
    in_reply_to: str,
    recipients: list[str],
    case_id: str | None,
) -> bool:
    """Whether an answer of this kind to this mail (its Message-ID in the answer's
    In-Reply-To) went to these recipients before, for the same case (or none): a held
    mail taken back is not answered twice."""
    wanted = in_reply_to.strip()
    for raw in store.answers_of_kind(s, kind, recipients, case_id):
        head = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        if str(head.get("In-Reply-To", "")).strip() == wanted:
            return True
    return False


def chosen(held: list[HeldMail], nummers: list[int] | None) -> list[HeldMail]:
    """The held mails with these numbers (None: all). Raises HeldMailNotFound
    (Dutch)."""
    if nummers is None:
        return held
    by_number = {m.nummer: m for m in held}
    missing = [n for n in nummers if n not in by_number]
    if missing:
        raise HeldMailNotFound(
            f"Geen mail met nummer {', '.join(map(str, missing))} in Quarantaine "
            f"({len(held)} mail(s) bewaard); 'maatwerk quarantaine' toont de lijst."
        )
    return [by_number[n] for n in dict.fromkeys(nummers)]


def record(
    s: Session, mail: HeldMail, actie: HeldAction, wie: str, reden: str | None = None
) -> None:
    """Staff took `mail` on (`actie`): logged, and it no longer counts as set aside."""
    store.record_held_action(s, mail.dedupe_key, actie.value, wie, reden)
    store.forget_attempts(
        s, [mail.dedupe_key]
    )  # staff took it on: no longer a mail set aside


def actions(s: Session) -> list[store.QuarantineAction]:
    """What staff did with held mails, oldest first."""
    return store.held_actions(s)
