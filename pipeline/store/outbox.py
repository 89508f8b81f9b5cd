"""What came in and what goes out: the received items (by a key that does not depend on
the server) and the outbox, whose mails are queued in the transaction of the change
that causes them and sent afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from pipeline.states import CaseState
from pipeline.store.cases import cases_in_state
from pipeline.store.leases import drop_leases, may_take, worker_id
from pipeline.store.schema import Case, OutboxMail, Received, aware, utcnow

log = logging.getLogger(f"maatwerk.{__name__}")


# --- received items -------------------------------------------------------------------


def already_received(s: Session, key: str) -> Received | None:
    return s.scalar(select(Received).where(Received.dedupe_key == key))


def record_received(
    s: Session,
    *,
    key: str,
    source: str,
    source_ref: str,
    case_id: str | None,
    outcome: str,
) -> None:
    s.add(
        Received(
            dedupe_key=key,
            source=source,
            source_ref=source_ref[:500],
            case_id=case_id,
            outcome=outcome,
        )
    )


def forget_received(s: Session, keys: list[str]) -> None:
    """Held mails taken back: forgotten as handled when they made no case, and no
    worker's lease on them (the lease the handling worker keeps, it may still run,
    would leave the mail to it): back in the inbox they run again."""
    if not keys:
        return
    s.execute(
        delete(Received).where(
            Received.dedupe_key.in_(keys), Received.case_id.is_(None)
        )
    )
    drop_leases(s, keys)


def received_refs(s: Session, case_id: str) -> list[str]:
    """Where each item taken in for the case came from (a Message-ID, a file name)."""
    return list(
        s.scalars(select(Received.source_ref).where(Received.case_id == case_id))
    )


# --- the outbox -----------------------------------------------------------------------


def queue_mail(
    s: Session,
    *,
    message_id: str,
    raw: bytes,
    kind: str,
    recipients: list[str],
    case_id: str | None,
) -> None:
    s.add(
        OutboxMail(
            message_id=message_id,
            raw=raw,
            kind=kind,
            recipients=", ".join(recipients),
            case_id=case_id,
        )
    )


def unsent_mails(s: Session) -> list[OutboxMail]:
    """The outbox's mails not sent yet, oldest first."""
    unsent = select(OutboxMail).where(OutboxMail.sent_at.is_(None))
    return list(s.scalars(unsent.order_by(OutboxMail.id)))


def case_for_message_ids(s: Session, message_ids: list[str]) -> str | None:
    if not message_ids:
        return None
    return s.scalar(
        select(OutboxMail.case_id)
        .where(OutboxMail.message_id.in_(message_ids), OutboxMail.case_id.is_not(None))
        .limit(1)
    )


def case_mail_ids(s: Session, case_id: str) -> list[str]:
    return list(
        s.scalars(
            select(OutboxMail.message_id)
            .where(OutboxMail.case_id == case_id)
            .order_by(OutboxMail.id)
        )
    )


def kinds_replied_to(s: Session, case_id: str, message_ids: list[str]) -> list[str]:
    """The kinds of the case's own mails among these Message-IDs."""
    return list(
        s.scalars(
            select(OutboxMail.kind).where(
                OutboxMail.message_id.in_(message_ids), OutboxMail.case_id == case_id
            )
        )
    )


def case_mails_of_kind(s: Session, case_id: str, kind: str) -> list[OutboxMail]:
    """The case's mails of one kind, oldest first."""
    return list(
        s.scalars(
            select(OutboxMail)
            .where(OutboxMail.case_id == case_id, OutboxMail.kind == kind)
            .order_by(OutboxMail.id)
        )
    )


def last_sent_mail(s: Session, case_id: str, kind: str) -> OutboxMail | None:
    """The case's latest mail of this kind that has been sent."""
    return s.scalar(
        select(OutboxMail)
        .where(
            OutboxMail.case_id == case_id,
            OutboxMail.kind == kind,
            OutboxMail.sent_at.is_not(None),
        )
        .order_by(OutboxMail.id.desc())
        .limit(1)
    )


def answers_of_kind(
    s: Session, kind: str, recipients: list[str], case_id: str | None
) -> list[bytes]:
    """The mails of this kind sent to exactly these recipients for this case (None: for
    no case), as sent."""
    return list(
        s.scalars(
            select(OutboxMail.raw).where(
                OutboxMail.kind == kind,
                OutboxMail.recipients == ", ".join(recipients),
                OutboxMail.case_id.is_(None)
                if case_id is None
                else OutboxMail.case_id == case_id,
            )
        )
    )


def recipients_of_mails(
    s: Session, message_ids: list[str], answer_keys: list[str]
) -> list[str]:
    """The recipients (comma separated) of the mails with these Message-IDs or whose
    Message-ID holds one of these answer keys (a one-click answer's `Kenmerk`)."""
    conditions = [OutboxMail.message_id.in_(message_ids)] if message_ids else []
    conditions += [
        OutboxMail.message_id.like(f"%{key.lower()}@%") for key in answer_keys
    ]
    if not conditions:
        return []
    return list(s.scalars(select(OutboxMail.recipients).where(or_(*conditions))))


def contracts_out(
    s: Session, package_kind: str
) -> Iterator[tuple[Case, OutboxMail, datetime]]:
    """Cases whose contract is out, each with the package (the outbox's mail of
    `package_kind`) that went and when it went (zone-aware)."""
    for case in cases_in_state(s, CaseState.contract_verstuurd):
        package = last_sent_mail(s, case.id, package_kind)
        if package is not None and package.sent_at is not None:
            yield case, package, aware(package.sent_at)


# --- sending --------------------------------------------------------------------------


def claim_outbox(
    s: Session,
    seconds: float,
    limit: int = 20,
    now: datetime | None = None,
    exclude: frozenset[int] | set[int] = frozenset(),
) -> list[int]:
    """Unsent outbox mails that no live worker is sending, claimed for this worker.
    PostgreSQL: rows another worker is claiming right now are skipped (SKIP LOCKED), not
    waited for.
    """
    now = now or utcnow()
    me = worker_id()
    query = select(
        OutboxMail.id, OutboxMail.claimed_by, OutboxMail.claimed_until
    ).where(OutboxMail.sent_at.is_(None))
    if exclude:
        query = query.where(OutboxMail.id.not_in(exclude))
    rows = s.execute(
        query.order_by(OutboxMail.id).with_for_update(skip_locked=True).limit(limit * 5)
    ).all()
    claimed = [mail_id for mail_id, by, until in rows if may_take(by, until, now)][
        :limit
    ]
    if claimed:
        s.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(claimed))
            .values(claimed_by=me, claimed_until=now + timedelta(seconds=seconds))
        )
    return claimed


def claimed_mail(s: Session, mail_id: int) -> OutboxMail | None:
    """The outbox mail `mail_id` when it is unsent and this worker claimed it; else None
    (sent meanwhile, or another worker took it over)."""
    row = s.get(OutboxMail, mail_id)
    if row is None or row.sent_at is not None or row.claimed_by != worker_id():
        return None
    return row


def send_failed(s: Session, mail_id: int, error: str) -> None:
    """Sending failed (`error`: the type of the error, never its message); the mail
    stays queued, free for the next round."""
    row = s.get(OutboxMail, mail_id)
    if row is None:
        return
    row.attempts += 1
    row.last_error = error
    row.claimed_by = row.claimed_until = None


def mark_sent(s: Session, mail_id: int, when: datetime) -> None:
    """The outbox mail `mail_id` was sent at `when`."""
    row = s.get(OutboxMail, mail_id)
    if row is None:
        return
    row.sent_at = when
    row.attempts += 1
    row.claimed_by = row.claimed_until = None


def erase_old_mail(s: Session, before: datetime) -> int:
    """Empty the mails not tied to one case (reports, replies to mails without a form)
    sent before `before`; how many."""
    result = s.execute(
        update(OutboxMail)
        .where(
            OutboxMail.case_id.is_(None),
            OutboxMail.sent_at < before,
            OutboxMail.raw != b"",
        )
        .values(raw=b"")
    )
    return cast(CursorResult[Any], result).rowcount
