"""Numbers in an answer: product codes, digits, whole numbers, euro amounts, units and
the amount of care (`inzet`)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

PRODUCTCODE = re.compile(r"(?<![0-9A-Za-z])(\d{2}[A-Za-z]\d{2})(?![0-9A-Za-z])")


def productcode(text: str | None) -> str | None:
    if not text:
        return None
    codes = {c.upper() for c in PRODUCTCODE.findall(text)}
    return codes.pop() if len(codes) == 1 else None


def digits(text: str | None) -> str | None:
    """The one run of digits in an answer ('ZorgNed 9394642' → '9394642'); None when
    there are several different ones (which one is meant is not certain)."""
    if not text:
        return None
    runs = {re.sub(r"\D", "", r) for r in re.findall(r"\d(?:[ .\-]?\d)*", text)}
    runs = {r for r in runs if r}
    return runs.pop() if len(runs) == 1 else None


NUMBER_WORDS = {
    "nul": 0,
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
    "twintig": 20,
    "eenentwintig": 21,
    "tweeëntwintig": 22,
    "tweeentwintig": 22,
    "drieëntwintig": 23,
    "drieentwintig": 23,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
    "honderd": 100,
}
FRACTION_WORDS = {
    "anderhalf": Decimal("1.5"),
    "half": Decimal("0.5"),
    "halve": Decimal("0.5"),
}
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.I
)


def integer(text: str | None) -> int | None:
    """The one whole number an answer gives, in digits or in words ('vijftien jaar' →
    15)."""
    if not text:
        return None
    found = {int(n) for n in re.findall(r"(?<![\d,.])\d+(?![\d,.]\d)", text)}
    found |= {NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)}
    return found.pop() if len(found) == 1 else None


_AMOUNT = re.compile(
    r"(?:€|eur(?:o)?\b)?\s*(\d{1,3}(?:[.\s]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)",
    re.I,
)


def amount(text: str | None) -> Decimal | None:
    """A euro amount: '€ 1.250,00', '92.4 p/u', 'EUR 92,40 per uur', '€ 92,-' →
    Decimal."""
    if not text:
        return None
    t = text.replace("\u00a0", " ")
    t = re.sub(r"(\d),-+", r"\1", t)  # '€ 92,-'
    # prefer a number right after a currency sign or word, or right before 'euro'
    m = re.search(r"(?:€|\beur(?:o)?\b)\s*(\d[\d.,\s]*\d|\d)", t, re.I) or re.search(
        r"(\d[\d.,]*\d|\d)\s*(?:€|\beur(?:o)?\b)", t, re.I
    )
    raw = m.group(1) if m else None
    if raw is None:
        m2 = _AMOUNT.search(t)
        if not m2:
            return None
        raw = m2.group(1)
    raw = raw.strip().replace(" ", "")
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        raw = raw.replace(",", ".")
    elif "." in raw:
        head, _, tail = raw.rpartition(".")
        if len(tail) == 3:
            raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01"))


_UNITS = [
    (
        re.compile(
            r"\b(etmaal|etmalen|etm)\b\.?|\bper\s+nacht\b|\b24\s*uur\b|\b24-uurs\b|\betmaaltarief\b",
            re.I,
        ),
        "etmaal",
    ),
    (re.compile(r"\b(dagdeel|dagdelen|dd)\b|\bdagdeeltarief\b", re.I), "dagdeel"),
    (
        re.compile(
            r"\b(uur|uren|u|hour|hours)\b|p/u\b|/\s*u(?:ur)?\b|\bper\s+u\b|\d\s*u\b|\buurtarief\b",
            re.I,
        ),
        "uur",
    ),
]


def unit(text: str | None) -> str | None:
    """uur, dagdeel or etmaal; None when the text names none or more than one."""
    if not text:
        return None
    hits = {name for rx, name in _UNITS if rx.search(text)}
    if len(hits) == 1:
        return hits.pop()
    if "etmaal" in hits and "uur" in hits and re.search(r"24\s*uur", text):
        return "etmaal"
    return None


_PER = [
    (
        re.compile(
            r"(\b(per|elke|iedere|in"
            r" de|p/|p\.|a)\s*(week|wk|w)\b\.?|\bwekelijks\b|/\s*(week|wk|w)\b"
            r"|\bp\.?\s?w\b\.?)",
            re.I,
        ),
        "week",
    ),
    (
        re.compile(
            r"(\b(per|elke|iedere|in"
            r" de|p/|p\.|a)\s*(kalender)?(maand|mnd|m)\b\.?|\bmaandelijks\b"
            r"|/\s*(maand|mnd|m)\b|\bp\.?\s?m\b\.?)",
            re.I,
        ),
        "maand",
    ),
    (
        re.compile(
            r"\b(in\s+)?totaal\b|\bin het totaal\b|\bvoor de hele periode\b|\bgedurende"
            r" de (hele )?periode\b",
            re.I,
        ),
        "totaal",
    ),
]
_NUM = (
    r"(\d+(?:[.,]\d+)?|"
    + "|".join(sorted(list(NUMBER_WORDS) + list(FRACTION_WORDS), key=len, reverse=True))
    + ")"
)
_INZET = re.compile(
    _NUM
    + r"\s*(uur|uren|hours?|u\b|dagdelen|dagdeel|etmalen|etmaal|etm\b|nachten|nacht)",
    re.I,
)


def _number(word: str) -> Decimal | None:
    w = word.lower()
    if w in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[w])
    if w in FRACTION_WORDS:
        return FRACTION_WORDS[w]
    try:
        return Decimal(w.replace(",", "."))
    except InvalidOperation:
        return None


def inzet(text: str | None) -> tuple[Decimal, str, str | None] | None:
    """'3 uur per week', '6 u/wk', 'in totaal 40 uren', 'anderhalf uur per week' →
    (aantal, eenheid, per). Only when exactly one amount of care with its period is
    written.
    """
    if not text:
        return None
    found = set()
    for line in re.split(r"\n|;", text):
        for m in _INZET.finditer(line):
            if re.search(r"(€|eur|euro)\s*$", line[: m.start()], re.I) or re.match(
                r"\s*(€|euro)", line[m.end() :], re.I
            ):
                continue  # part of an amount of money
            n = _number(m.group(1))
            if n is None:
                continue
            before, after = (
                line[max(0, m.start() - 30) : m.start()],
                line[m.end() : m.end() + 30],
            )
            pers = [name for rx, name in _PER if rx.search(after[:30])] or [
                name for rx, name in _PER if rx.search(before)
            ]
            if len(set(pers)) != 1:
                continue
            found.add((n, unit(m.group(2)) or "etmaal", pers[0]))
    return found.pop() if len(found) == 1 else None
