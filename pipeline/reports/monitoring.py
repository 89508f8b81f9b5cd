"""monitoring: per gemeente the number of requests, approvals, the contracts running in
the year with their value in that year, and the reasons given for not choosing a
contracted provider (gaps in the care offer). `pipeline/reports/workbook.py` writes them
as an xlsx."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.errors import ConfigError
from pipeline.models import Aanvraag
from pipeline.region.profile import Mappings
from pipeline.stages.render import euro
from pipeline.states import CONTRACT_STATES, CaseState
from pipeline.store import Case
from pipeline.store.views import cases_of_year
from pipeline.text import printable

OTHER: Final = "overig"
NO_REASON: Final = "geen reden opgegeven"
UNKNOWN_GEMEENTE: Final = "onbekend"


@dataclass
class GemeenteFigures:
    gemeente: str
    aanvragen: int = 0  # real requests (a form was read) with a case number of the year
    geweigerd: int = 0
    negatief: int = 0
    positief: int = 0
    contracten: int = 0  # contracts running on some day of the year, whenever requested
    waarde: Decimal = Decimal(0)  # those contracts' value in the year, pro rata by days
    redenen: Counter[str] = field(default_factory=Counter)

    @property
    def in_behandeling(self) -> int:
        return self.aanvragen - self.geweigerd - self.negatief - self.positief


@dataclass
class Monitoring:
    year: int
    gemeenten: list[GemeenteFigures]
    # refused mails whose attachment was no form at all: no gemeente
    geen_formulier: int = 0

    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.gemeenten:
            total.update(f.redenen)
        return total


def _keyword_pattern(word: str) -> str:
    """A keyword of redenen.toml as a regex: whole words; a trailing `*` lets the last
    word go on ('wachtlijst*' also finds 'wachtlijsten'); the words of a phrase apart by
    any white space.
    """
    stem = word.removesuffix("*").strip()
    if not stem or "*" in stem:
        raise ConfigError(
            f"mappings/redenen.toml: '{word}' is geen geldig woord ('*' mag alleen aan"
            " het eind)."
        )
    body = r"\s+".join(re.escape(part) for part in stem.split())
    tail = r"\w*" if word.endswith("*") else ""
    return rf"(?<!\w){body}{tail}(?!\w)"


@lru_cache(maxsize=128)
def _matcher(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_keyword_pattern(w) for w in words), re.IGNORECASE)


def reason_groups_of(text: str | None, mappings: Mappings) -> list[str]:
    """The groups of redenen.toml whose keywords occur in the reason, on whole words;
    none: 'overig'.

    Raises ConfigError when a keyword has a `*` anywhere but at its end."""
    if not (text or "").strip():
        return [NO_REASON]
    groups = [
        name
        for name, words in mappings.reason_groups.items()
        if words and _matcher(tuple(words)).search(text or "")
    ]
    return groups or [OTHER]


def share_in_year(value: Decimal, start: date, end: date, year: int) -> Decimal:
    """The part of a contract's value that falls in `year`, pro rata by days (start and
    end included), in cents. Rounded on the cumulative days, so the years' parts add up
    to the value.
    """
    days = (end - start).days + 1

    def upto(
        moment: date,
    ) -> Decimal:  # the value of the days before `moment`, in cents
        before = min(max((moment - start).days, 0), days)
        return (value * before / days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return upto(date(year + 1, 1, 1)) - upto(date(year, 1, 1))


def monitoring(s: Session, year: int, mappings: Mappings) -> Monitoring:
    """The year's figures per gemeente: requests by case number's year, contracts by the
    years they run in, reasons of every request whose form was read (also of refused
    ones).

    Raises ConfigError when a keyword of redenen.toml is not valid."""
    figures = {g: GemeenteFigures(g) for g in mappings.region.gemeenten}

    def of(case: Case) -> GemeenteFigures:
        # whatever the store holds: text only
        name = printable(case.gemeente or "") or UNKNOWN_GEMEENTE
        return figures.setdefault(name, GemeenteFigures(name))

    result = Monitoring(year, [])
    for c in cases_of_year(s, year):
        if (
            c.state == CaseState.geweigerd
            and c.record_json is None
            and c.gemeente is None
        ):
            result.geen_formulier += 1
        else:
            _count_request(of(c), c, mappings)
    for c in store.contract_cases(s):
        share = _value_in_year(c, year)
        if share is not None:
            f = of(c)
            f.contracten += 1
            f.waarde += share
    result.gemeenten = sorted(figures.values(), key=lambda f: f.gemeente)
    return result


def _count_request(f: GemeenteFigures, c: Case, mappings: Mappings) -> None:
    f.aanvragen += 1
    if c.state == CaseState.geweigerd:
        f.geweigerd += 1
    elif c.state == CaseState.negatief:
        f.negatief += 1
    elif c.state in CONTRACT_STATES:
        f.positief += 1
    if c.record_json:
        reason = Aanvraag.model_validate_json(c.record_json).reden_niet_gecontracteerd
        f.redenen.update(reason_groups_of(reason, mappings))


def _value_in_year(c: Case, year: int) -> Decimal | None:
    """The contract's value in `year`; None when it does not run in that year."""
    value = Decimal(c.waarde) if c.waarde else Decimal(0)
    start, end = c.startdatum, c.einddatum
    if start and end and start <= end:
        if start > date(year, 12, 31) or end < date(year, 1, 1):
            return None
        return share_in_year(value, start, end, year)
    # no period known: the whole value in the year it was requested
    return value if c.year == year else None


def figures_summary(figures: Monitoring) -> list[tuple[str, int, int, int, str]]:
    """(gemeente, aanvragen, positief, lopende contracten, waarde in het jaar) for the
    terminal."""
    return [
        (f.gemeente, f.aanvragen, f.positief, f.contracten, euro(f.waarde))
        for f in figures.gemeenten
    ]
