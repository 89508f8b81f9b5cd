"""Advice deadlines in working days (Algemene termijnenwet holidays, Amsterdam dates,
cut-off)."""

from datetime import UTC, date, datetime, time

from pipeline.workdays import add_working_days, deadline, is_working_day


def at(
    y, m, d, hh, mm
):  # Amsterdam wall time in winter (UTC+1) / summer (UTC+2) via UTC
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_normal_is_five_working_days_and_spoed_two():
    thursday = at(2027, 3, 11, 10, 0)
    assert deadline(thursday, spoed=False) == date(2027, 3, 18)
    assert deadline(thursday, spoed=True) == date(2027, 3, 15)


def test_goede_vrijdag_easter_and_5_may_are_skipped_every_year():
    assert not is_working_day(date(2027, 3, 26))  # Goede Vrijdag
    assert not is_working_day(date(2027, 3, 29))  # Tweede Paasdag
    assert not is_working_day(date(2027, 5, 5))  # Bevrijdingsdag, not a lustrum year
    assert not is_working_day(date(2026, 5, 5))
    # Wednesday 24 March 2027 + 2 working days: Thursday 25, (Good Friday, weekend,
    # Easter Monday) Tuesday 30
    assert add_working_days(date(2027, 3, 24), 2) == date(2027, 3, 30)


def test_after_cutoff_or_in_weekend_counts_from_next_working_day():
    # Thursday 11 March 2027 17:30 Amsterdam = 16:30 UTC → counts from Friday
    assert deadline(at(2027, 3, 11, 16, 30), spoed=True) == date(2027, 3, 16)
    assert deadline(at(2027, 3, 11, 15, 59), spoed=True) == date(2027, 3, 15)
    # Saturday counts from Monday: Monday + 2 = Wednesday
    assert deadline(at(2027, 3, 13, 10, 0), spoed=True) == date(2027, 3, 17)
    assert deadline(at(2027, 3, 11, 10, 0), spoed=True, cutoff=time(9, 0)) == date(
        2027, 3, 16
    )


def test_extra_closed_days_are_skipped():
    closed = frozenset({date(2027, 3, 12)})
    assert deadline(at(2027, 3, 11, 10, 0), spoed=True, extra_closed=closed) == date(
        2027, 3, 16
    )
