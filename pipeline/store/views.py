"""Read-only queries for the reports and the command line (`maatwerk status`, `case`,
`report`) that no other part needs; nothing in this module writes. The queries the
workflow shares with them (open cases, contract cases, outbox, workers) are in the
store's other modules."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.states import ACTIVE_CONTRACT_STATES
from pipeline.store import Case
from pipeline.store.schema import OutboxMail, Received


def contracts_ending(s: Session, first: date, last: date) -> list[Case]:
    """Sent or signed contracts whose end date lies from `first` to `last` (both
    included), by end date and case number."""
    return list(
        s.scalars(
            select(Case)
            .where(
                Case.state.in_(ACTIVE_CONTRACT_STATES),
                Case.einddatum >= first,
                Case.einddatum <= last,
            )
            .order_by(Case.einddatum, Case.id)
        )
    )


def cases_of_year(s: Session, year: int) -> list[Case]:
    """Every case whose case number is of `year` (MW-<year>-…)."""
    return list(s.scalars(select(Case).where(Case.year == year)))


def case_mails(s: Session, case_id: str) -> list[OutboxMail]:
    """The mails the product sent or will send on the case, oldest first."""
    return list(
        s.scalars(
            select(OutboxMail)
            .where(OutboxMail.case_id == case_id)
            .order_by(OutboxMail.id)
        )
    )


def received_on(s: Session, case_id: str) -> list[Received]:
    """The mails and files taken in on the case, oldest first."""
    return list(
        s.scalars(
            select(Received).where(Received.case_id == case_id).order_by(Received.id)
        )
    )
