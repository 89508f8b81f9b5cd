"""Retention: a closed case's personal data are removed after the configured period.

Closed: refused (geweigerd) or declined (negatief) — from the decision; signed
(getekend) — from the end of the contract's term. Removed: the canonical record, the
form's file name, ZorgNed number, remarks, advice texts, the case's mails (outbox
copies, and in the mailbox's Verwerkt, Quarantaine and sent folders), the drop folder's
copies and every register file but the signed contract (archive rules keep that). Kept:
case number, state, gemeente, aanbieder, dates, product code and value (the figures),
the case history and the inzage log (no personal data).

Files and mails go first, the store after: a crash in between is redone by the next run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.folders import DropOutcome
from pipeline.states import CaseState

log = logging.getLogger(f"maatwerk.{__name__}")

KEEP = re.compile(r"^\d{4}-\d{2}-\d{2} getekend contract MW-")
CLOSED = (CaseState.geweigerd.value, CaseState.negatief.value, CaseState.getekend.value)


@dataclass
class Purged:
    cases: list[str] = field(default_factory=list)
    files: int = 0
    mails: int = 0


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (or the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # 31 March minus one month: 28/29 February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def closed_on(case: store.Case, local_date: Callable[[datetime], date]) -> date | None:
    """The day the case closed (signed: the end of its term), None while it is open."""
    if case.state == CaseState.getekend.value:
        return case.einddatum or local_date(case.updated_at)
    if case.state in CLOSED:
        return local_date(case.updated_at)
    return None


def due(
    s: Session, today: date, months: int, local_date: Callable[[datetime], date]
) -> list[store.Case]:
    """Closed cases whose retention period has passed and whose data are still there."""
    cutoff = months_before(today, months)
    cases = store.closed_unpurged(s, CLOSED)
    return [c for c in cases if (closed_on(c, local_date) or today) <= cutoff]


def message_ids(s: Session, case: store.Case) -> set[str]:
    """The Message-IDs of every mail in or out for the case."""
    ids = set(store.received_refs(s, case.id))
    ids |= {e.source for e in case.events}
    ids |= set(store.case_mail_ids(s, case.id))
    return {i for i in ids if i.startswith("<") and i.endswith(">")}


def remove_files(case: store.Case, drop_root: Path) -> int:
    """Remove the case's register files but the signed contract, and its drop-folder
    copies; how many."""
    removed = 0
    if case.register_dir and Path(case.register_dir).is_dir():
        folder = Path(case.register_dir)
        for p in folder.iterdir():
            if p.is_file() and not KEEP.match(p.name):
                p.unlink()
                removed += 1
        if not any(folder.iterdir()):
            folder.rmdir()
    for sub in DropOutcome:
        for p in (
            (drop_root / sub).glob(f"{case.id} *") if (drop_root / sub).is_dir() else []
        ):
            p.unlink()
            removed += 1
    return removed


def erase(
    s: Session,
    case: store.Case,
    today: date,
    *,
    wie: str | None,
    reden: str,
    mails_removed: bool,
) -> None:
    """The store's part: personal data out, the mark and the records in."""
    store.purge_personal_data(s, case, today)
    where = (
        ""
        if mails_removed
        else "; mails in de Exchange-mailbox vallen onder het bewaarbeleid van Exchange"
    )
    store.note(
        s,
        case,
        source="opschonen",
        what=(
            f"Persoonsgegevens verwijderd na de bewaartermijn ({reden}); "
            f"het getekende contract blijft in het register{where}"
        ),
    )
    store.log_access(
        s, case.id, wie=wie, actie="opgeschoond", reden=reden, bron="maatwerk opschonen"
    )


def erase_old_mail(s: Session, before: datetime) -> int:
    """Mails not tied to one case (reports, replies to mails without a form) once sent
    long enough ago."""
    return store.erase_old_mail(s, before)
