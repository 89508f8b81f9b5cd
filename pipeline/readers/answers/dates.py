"""Dates in an answer: numeric, ISO and written out, with a period's shared year."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "febr": 2,
    "maart": 3,
    "mrt": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augustus": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(\d{4}|'\d{2}|\d{2})"
_NUM_DATE = re.compile(
    r"(?<![\d.])(\d{1,2})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?(\d{4}|\d{2})(?![\d])"
)
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:e|ste|de)?\s*({_MONTH})\.?\s+{_YEAR}(?!\d)", re.I
)
# the start of a period without its year, the end with it: '1-2 t/m 30-4-2027', '1
# februari t/m 30 april 2027'
_NUM_DAY_MONTH = re.compile(
    r"(?<![\d.\-/])(\d{1,2})\s?[-/.]\s?(\d{1,2})(?![\d])(?!\s?[-/.]\s?\d)"
)
_WORD_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:e|ste|de)?\s*({_MONTH})\b\.?(?!\s*\d)", re.I
)


def _year(y: str) -> int:
    y = y.lstrip("'")
    return int(y) + 2000 if len(y) == 2 else int(y)


def dates(text: str | None) -> list[date]:
    """All dates in an answer, in order: '1-2-2027', '01/02/27', '1 februari 2027', ISO;
    a date without a year before one with a year takes that year ('1-2 t/m 30-4-2027').
    """
    if not text:
        return []
    found: list[tuple[int, int, date]] = []  # (start, end, date)
    for rx, order in ((_ISO_DATE, "ymd"), (_NUM_DATE, "dmy"), (_WORD_DATE, "dMy")):
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            try:
                if order == "ymd":
                    d = date(int(m[1]), int(m[2]), int(m[3]))
                elif order == "dmy":
                    d = date(_year(m[3]), int(m[2]), int(m[1]))
                else:
                    d = date(_year(m[3]), MONTHS[m[2].lower()], int(m[1]))
            except ValueError:
                continue
            found.append((m.start(), m.end(), d))
    found.sort(key=lambda x: x[0])
    if (
        len(found) == 1
    ):  # 'van 1-2 tot en met 30-4-2027': the start takes the end's year
        s0, _, end = found[0]
        head = text[:s0]
        for rx, month_of in (
            (_NUM_DAY_MONTH, lambda g: int(g)),
            (_WORD_DAY_MONTH, lambda g: MONTHS[g.lower()]),
        ):
            ms = list(rx.finditer(head))
            if len(ms) == 1:
                try:
                    start = date(end.year, month_of(ms[0][2]), int(ms[0][1]))
                except ValueError:
                    break
                if start > end:
                    start = start.replace(year=end.year - 1)
                return [start, end]
    return [d for _, _, d in found]


def one_date(text: str | None) -> date | None:
    ds = dates(text)
    return ds[0] if len(ds) == 1 else None
