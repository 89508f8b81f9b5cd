"""What `maatwerk case` and `maatwerk inzage` show of one case: its header, findings and
history, and who processed or viewed its personal data. Typed rows; the command line
only prints them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.models import Melding
from pipeline.register.index import status_text

# where a viewing through the command line is noted in the inzage log
CASE_COMMAND = "maatwerk case"


@dataclass(frozen=True)
class Event:
    at: datetime
    from_state: str | None
    to_state: str | None
    source: str
    what: str


@dataclass(frozen=True)
class CaseView:
    zaak: str
    status: str  # in Dutch words
    gemeente: str | None
    aanbieder: str | None
    received_at: datetime
    spoed: bool
    deadline: date | None
    register_dir: str | None
    meldingen: list[Melding]
    events: list[Event]


@dataclass(frozen=True)
class InzageRow:
    at: datetime
    wie: str
    actie: str
    reden: str
    bron: str | None


def view_case(s: Session, case_id: str, *, wie: str, reden: str) -> CaseView:
    """The case as `maatwerk case` shows it; the viewing is noted in the inzage log
    (by `wie`, for `reden`) in the same transaction.

    Raises CaseNotFound when there is no such case."""
    c = store.get_case(s, case_id)
    store.log_access(s, c.id, wie=wie, actie="bekeken", reden=reden, bron=CASE_COMMAND)
    return CaseView(
        zaak=c.id,
        status=status_text(c.state),
        gemeente=c.gemeente,
        aanbieder=c.aanbieder,
        received_at=c.received_at,
        spoed=c.spoed,
        deadline=c.deadline,
        register_dir=c.register_dir,
        meldingen=c.meldingen,
        events=[
            Event(e.at, e.from_state, e.to_state, e.source, e.what) for e in c.events
        ],
    )


def inzage_log(s: Session, case_id: str) -> list[InzageRow]:
    """Who processed or viewed the case's personal data, oldest first.

    Raises CaseNotFound when there is no such case."""
    c = store.get_case(s, case_id)
    return [
        InzageRow(r.at, r.wie, r.actie, r.reden, r.bron) for r in store.inzage(s, c.id)
    ]
