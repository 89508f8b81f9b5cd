"""Deadlines in working days on local dates (`[advice] timezone`: Europe/Amsterdam).

Skipped: weekends and the days the Algemene termijnenwet treats as holidays
(Nieuwjaar, Goede Vrijdag, Pasen, Hemelvaart, Pinksteren, Koningsdag, 5 mei every
year, Kerst), plus configured extra closed days. The `holidays` package has 5 May
only in lustrum years in its public calendar, so its optional category is added.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from pipeline.config import AdviceSettings

log = logging.getLogger(f"maatwerk.{__name__}")

# the defaults of `[advice]`, defined once in pipeline/config.py
ADVICE_DEFAULTS: Final = AdviceSettings()


@lru_cache(maxsize=64)
def _closed_days(year: int) -> frozenset[date]:
    nl = holidays.NL(years=year, categories=("public", "optional"))
    days = set(nl)
    days.add(
        date(year, 5, 5)
    )  # Bevrijdingsdag: a holiday for the Algemene termijnenwet every year
    return frozenset(days)


def is_working_day(d: date, extra_closed: frozenset[date] = frozenset()) -> bool:
    """Not a weekend day, a holiday or one of `extra_closed`."""
    return d.weekday() < 5 and d not in _closed_days(d.year) and d not in extra_closed


def add_working_days(
    start: date, n: int, extra_closed: frozenset[date] = frozenset()
) -> date:
    """The `n`th working day after `start`."""
    d = start
    added = 0
    while added < n:
        d += timedelta(days=1)
        if is_working_day(d, extra_closed):
            added += 1
    return d


def deadline(
    received_at: datetime,
    spoed: bool,
    *,
    tz: str = ADVICE_DEFAULTS.timezone,
    cutoff: time = ADVICE_DEFAULTS.cutoff,
    days_spoed: int = ADVICE_DEFAULTS.days_spoed,
    days_normal: int = ADVICE_DEFAULTS.days_normal,
    extra_closed: frozenset[date] = frozenset(),
) -> date:
    """The date the advice is due: counted in whole working days from the day of
    receipt.

    A request received on a closed day, or after the cut-off time, counts as received
    on the next working day.
    """
    local = received_at.astimezone(ZoneInfo(tz))
    day = local.date()
    if not is_working_day(day, extra_closed) or local.time() >= cutoff:
        day = add_working_days(day, 1, extra_closed)
    return add_working_days(day, days_spoed if spoed else days_normal, extra_closed)


DUTCH_DAYS: Final = tuple(
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag".split()
)
DUTCH_MONTHS: Final = tuple(
    "januari februari maart april mei juni juli augustus september oktober november"
    " december".split()
)


def dutch_date(d: date, weekday: bool = True) -> str:
    """'donderdag 18 maart 2027'."""
    text = f"{d.day} {DUTCH_MONTHS[d.month - 1]} {d.year}"
    return f"{DUTCH_DAYS[d.weekday()]} {text}" if weekday else text
