"""verlopend: each gemeente gets a mail listing its contracts that end within N weeks;
`maatwerk report verlopend` or on schedule inside `maatwerk run` (once per ISO week)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pipeline.register.index import status_text
from pipeline.reports.monitoring import UNKNOWN_GEMEENTE
from pipeline.states import CaseState
from pipeline.store import Case
from pipeline.store.views import contracts_ending
from pipeline.text import printable


def expiring(s: Session, today: date, weeks: int) -> dict[str, list[Case]]:
    """Per gemeente its active contracts that end from today up to `weeks` weeks ahead:
    signed ones first, then those sent and not yet signed back (each by end date)."""
    cases = contracts_ending(s, today, today + timedelta(weeks=weeks))
    # stable: keeps the date order
    cases.sort(key=lambda c: c.state != CaseState.getekend)
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(c.gemeente or UNKNOWN_GEMEENTE, []).append(c)
    return out


def expiring_mail_context(
    gemeente: str, cases: list[Case], today: date, weeks: int
) -> dict[str, Any]:
    """The expiry mail: signed contracts apart from those sent and not yet signed back
    (a contract is only in force once signed, so those need chasing as well as a
    follow-up)."""

    def line(c: Case) -> str:
        end = c.einddatum
        assert end is not None  # contracts_ending selects on it
        return (
            f"{c.id} – {printable(c.aanbieder or '') or 'aanbieder onbekend'} –"
            f" productcode {c.productcode or 'onbekend'} – loopt tot en met"
            f" {end:%d-%m-%Y} (nog {(end - today).days} dagen)"
        )

    signed = [c for c in cases if c.state == CaseState.getekend]
    return {
        "gemeente": gemeente,
        "weken": weeks,
        "datum": today.strftime("%d-%m-%Y"),
        "getekend": [line(c) for c in signed],
        "niet_getekend": [line(c) for c in cases if c not in signed],
        "status_getekend": status_text(CaseState.getekend),
        "status_niet_getekend": status_text(CaseState.contract_verstuurd),
    }
