"""The workflow's own queries (pipeline/workflow/): the advice rows, the outbox rows and
the cases a scheduled job looks at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from pipeline import store
from pipeline.states import CaseState


def forget_advices(s: Session, case_id: str, stap: int) -> None:
    """The answers of one step, when the step is asked again."""
    s.execute(
        delete(store.AdviceRow).where(
            store.AdviceRow.case_id == case_id, store.AdviceRow.stap == stap
        )
    )


def kinds_replied_to(s: Session, case_id: str, message_ids: list[str]) -> list[str]:
    """The kinds of the case's own mails among these Message-IDs."""
    return list(
        s.scalars(
            select(store.OutboxMail.kind).where(
                store.OutboxMail.message_id.in_(message_ids),
                store.OutboxMail.case_id == case_id,
            )
        )
    )


def case_mails_of_kind(s: Session, case_id: str, kind: str) -> list[store.OutboxMail]:
    """The case's queued mails of one kind, oldest first."""
    return list(
        s.scalars(
            select(store.OutboxMail)
            .where(store.OutboxMail.case_id == case_id, store.OutboxMail.kind == kind)
            .order_by(store.OutboxMail.id)
        )
    )


def send_failed(s: Session, mail_id: int, error: str) -> None:
    """A send that failed: counted, its claim let go, the error's type kept."""
    row = s.get(store.OutboxMail, mail_id)
    assert row is not None
    row.attempts += 1
    row.last_error = error
    row.claimed_by = row.claimed_until = None


def mark_sent(s: Session, mail_id: int, when: datetime) -> None:
    row = s.get(store.OutboxMail, mail_id)
    assert row is not None
    row.sent_at = when
    row.attempts += 1
    row.claimed_by = row.claimed_until = None


def forget_received(s: Session, keys: list[str]) -> None:
    """Held mails taken back: no longer 'handled', and no worker's lease on them."""
    if not keys:
        return
    s.execute(
        delete(store.Received).where(
            store.Received.dedupe_key.in_(keys), store.Received.case_id.is_(None)
        )
    )
    # the lease the handling worker keeps (it may still run) would leave the mail to it
    s.execute(delete(store.Lease).where(store.Lease.key.in_(keys)))


def lock_index(s: Session) -> None:
    """One worker at a time writes the register index (PostgreSQL; SQLite has one)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(7012)"))


def advice_due(s: Session, today: date) -> Iterator[store.Case]:
    """Cases waiting on advice whose deadline is today or past."""
    return iter(
        s.scalars(
            select(store.Case).where(
                store.Case.state == CaseState.advies_gevraagd.value,
                store.Case.deadline <= today,
            )
        )
    )


def contracts_out(
    s: Session, package_kind: str
) -> Iterator[tuple[store.Case, store.OutboxMail, datetime]]:
    """Cases whose contract is out, each with the package (the outbox's mail of
    `package_kind`) that went and when it went (zone-aware)."""
    cases = s.scalars(
        select(store.Case).where(store.Case.state == CaseState.contract_verstuurd.value)
    )
    for case in cases:
        package = s.scalar(
            select(store.OutboxMail)
            .where(
                store.OutboxMail.case_id == case.id,
                store.OutboxMail.kind == package_kind,
                store.OutboxMail.sent_at.is_not(None),
            )
            .order_by(store.OutboxMail.id.desc())
            .limit(1)
        )
        if package is not None and package.sent_at is not None:
            yield case, package, store.aware(package.sent_at)
