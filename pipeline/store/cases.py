"""Cases: numbering, creating, moving a case from state to state (with its audit row in
the same transaction), and finding cases."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from pipeline.errors import CaseNotFound, InvalidTransition
from pipeline.states import ALLOWED, CONTRACT_STATES, OPEN_STATES, CaseState, S
from pipeline.store.db import dialect_insert
from pipeline.store.schema import (
    AdviceRow,
    AuditEvent,
    Case,
    CaseCounter,
    OutboxMail,
    utcnow,
)

log = logging.getLogger(f"maatwerk.{__name__}")


def next_case_id(s: Session, year: int) -> tuple[str, int]:
    """The next number of the year. The UPDATE locks the counter row until the
    transaction ends, so concurrent workers get consecutive numbers; the year's first
    row is made race-free.
    """
    s.execute(
        dialect_insert(s)(CaseCounter)
        .values(year=year, last=0)
        .on_conflict_do_nothing()
    )
    row = s.execute(
        update(CaseCounter)
        .where(CaseCounter.year == year)
        .values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    ).scalar_one()
    return f"MW-{year}-{row:04d}", row


def create_case(
    s: Session,
    *,
    received_at: datetime,
    year: int,
    source: str,
    source_ref: str,
    sender: str | None,
    form_filename: str | None,
    what: str,
    form_sha256: str | None = None,
) -> Case:
    """A new case numbered in `year`: the year of the region's own calendar on the day
    it came in."""
    case_id, seq = next_case_id(s, year)
    case = Case(
        id=case_id,
        year=year,
        seq=seq,
        state=S.ontvangen.value,
        received_at=received_at,
        source=source,
        source_ref=source_ref[:500],
        sender=sender,
        form_filename=form_filename,
        form_sha256=form_sha256,
    )
    s.add(case)
    s.flush()
    _audit(s, case_id, None, S.ontvangen.value, source=source_ref, what=what)
    return case


def transition(
    s: Session, case: Case, to: CaseState, *, source: str, what: str
) -> None:
    """Move `case` to state `to`, with its audit row. Raises InvalidTransition when the
    move is not allowed from the case's state."""
    current = CaseState(case.state)
    if to not in ALLOWED[current]:
        raise InvalidTransition(
            f"Zaak {case.id} kan niet van '{current.value}' naar '{to.value}'."
        )
    _audit(s, case.id, current.value, to.value, source=source, what=what)
    case.state = to.value
    case.updated_at = utcnow()


def note(s: Session, case: Case, *, source: str, what: str) -> None:
    """An audit entry that changes no state (advice received, mail not accepted,
    ...)."""
    _audit(s, case.id, case.state, case.state, source=source, what=what)
    case.updated_at = utcnow()


def _audit(
    s: Session,
    case_id: str,
    from_state: str | None,
    to_state: str,
    *,
    source: str,
    what: str,
) -> None:
    """The case history's row of a change (or a note: the same state twice)."""
    s.add(
        AuditEvent(
            case_id=case_id,
            from_state=from_state,
            to_state=to_state,
            source=source[:500],
            what=what,
        )
    )


def lock_case(s: Session, case_id: str) -> Case:
    """The case, locked for this transaction (PostgreSQL: row lock; a second worker
    handling a reply to the same case waits and then sees this one's changes; SQLite has
    one writer anyway). Raises CaseNotFound.
    """
    return _found(
        s.scalar(
            select(Case)
            .where(Case.id == case_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ),
        case_id,
    )


def get_case(s: Session, case_id: str) -> Case:
    """The case a person named (any case, spaces around it). Raises CaseNotFound."""
    return _found(s.get(Case, case_id.strip().upper()), case_id)


def find_case(s: Session, case_id: str) -> Case | None:
    """The case with exactly this number, or None (`get_case` for a number a person
    typed)."""
    return s.get(Case, case_id)


def _found(case: Case | None, case_id: str) -> Case:
    if case is None:
        raise CaseNotFound(f"Zaak {case_id} bestaat niet.")
    return case


def open_cases(s: Session) -> list[Case]:
    """The open cases, by number, with their advices (who still owes one: `owing`)."""
    return list(
        s.scalars(
            select(Case)
            .where(Case.state.in_(OPEN_STATES))
            .options(selectinload(Case.advices))
            .order_by(Case.id)
        )
    )


def cases_in_state(s: Session, state: CaseState) -> list[Case]:
    """The cases in `state`, by number."""
    return list(
        s.scalars(select(Case).where(Case.state == state.value).order_by(Case.id))
    )


def advice_due(s: Session, today: date) -> list[Case]:
    """Cases waiting for advice whose deadline is `today` or past (the reminders' cases:
    not every open case every minute)."""
    return list(
        s.scalars(
            select(Case)
            .where(Case.state == S.advies_gevraagd.value, Case.deadline <= today)
            .order_by(Case.id)
        )
    )


def contract_cases(s: Session) -> list[Case]:
    """The cases with a contract (sent, signed, ...), by end date: the register
    index."""
    return list(
        s.scalars(
            select(Case)
            .where(Case.state.in_(CONTRACT_STATES))
            .order_by(Case.einddatum, Case.id)
        )
    )


def case_with_form(s: Session, sha256: str) -> Case | None:
    return s.scalar(select(Case).where(Case.form_sha256 == sha256))


def earlier_case(
    s: Session,
    zorgned_nummer: str | None,
    aanbieder: str | None,
    exclude: str,
) -> Case | None:
    """The latest earlier case of the same client with the same provider (a verlenging),
    if any."""
    if not zorgned_nummer or not aanbieder:
        return None
    from rapidfuzz import fuzz

    for c in reversed(cases_of_client(s, zorgned_nummer, exclude)):
        if (
            c.aanbieder
            and fuzz.token_sort_ratio(c.aanbieder.lower(), aanbieder.lower()) >= 90
        ):
            return c
    return None


def cases_of_client(s: Session, zorgned_nummer: str, exclude: str) -> list[Case]:
    """Earlier cases of the same client that were not refused or turned down."""
    return list(
        s.scalars(
            select(Case)
            .where(
                Case.zorgned_nummer == zorgned_nummer,
                Case.id != exclude,
                Case.state.not_in([S.geweigerd.value, S.negatief.value]),
            )
            .order_by(Case.id)
        )
    )


# --- advices --------------------------------------------------------------------------


def owing(s: Session, case: Case) -> dict[str, list[str]]:
    """Who was asked in the case's current step and has not answered yet: {role:
    addresses}."""
    answered = {row.rol for row in case.advices if row.stap == case.stap}
    return {
        role: addresses
        for role, addresses in case.adviseurs.items()
        if role not in answered
    }


def add_advice(
    s: Session,
    case: Case,
    *,
    rol: str,
    oordeel: str,
    toelichting: str | None,
    productcode: str | None,
    icode: str | None,
    tarief_bedrag: str | None,
    tarief_eenheid: str | None,
    sender: str,
    message_id: str | None,
    received_at: datetime,
) -> None:
    """One role's answer in the case's current step."""
    s.add(
        AdviceRow(
            case_id=case.id,
            rol=rol,
            stap=case.stap,
            oordeel=oordeel,
            toelichting=toelichting,
            productcode=productcode,
            icode=icode,
            tarief_bedrag=tarief_bedrag,
            tarief_eenheid=tarief_eenheid,
            sender=sender,
            message_id=message_id,
            received_at=received_at,
        )
    )


def forget_advices(s: Session, case_id: str, stap: int) -> None:
    """Forget the answers of one step of the case (the step is asked again)."""
    s.execute(
        delete(AdviceRow).where(AdviceRow.case_id == case_id, AdviceRow.stap == stap)
    )


def reload_advices(s: Session, case: Case) -> list[AdviceRow]:
    """The case's answers as the database holds them now, oldest first."""
    s.refresh(case, ["advices"])
    return case.advices


# --- retention ------------------------------------------------------------------------


def closed_unpurged(s: Session, states: tuple[str, ...]) -> list[Case]:
    """Cases in one of these (closed) states whose personal data are still there."""
    return list(
        s.scalars(
            select(Case)
            .where(Case.state.in_(states), Case.opgeschoond_op.is_(None))
            .order_by(Case.id)
        )
    )


def purge_personal_data(s: Session, case: Case, today: date) -> None:
    """Remove the case's personal data (record, remarks, form name, ZorgNed number,
    sender, advice texts, its mails' content) and mark it removed on `today`. Kept: the
    figures, the history, the inzage log."""
    case.record_json = None
    case.meldingen_json = "[]"
    case.zorgned_nummer = None
    case.form_filename = None
    case.sender = None
    case.opgeschoond_op = today
    s.execute(
        update(AdviceRow).where(AdviceRow.case_id == case.id).values(toelichting=None)
    )
    s.execute(update(OutboxMail).where(OutboxMail.case_id == case.id).values(raw=b""))
