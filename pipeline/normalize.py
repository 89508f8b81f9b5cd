"""Dutch normalisation: turn what people write into typed values.

Every function takes the text of one answer and returns the value or None; none of
them ever guesses beyond what the text says. Callers turn a None for a non-empty
answer into a `waarschuwing`.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Optional

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

EMPTY_ANSWERS = {"", "-", "--", "nvt", "n.v.t", "n.v.t.", "niet van toepassing", "nee n.v.t.", "geen", "x"}

_YES = re.compile(r"^\W*(ja|yes|jazeker|zeker|jawel|klopt|akkoord)\b", re.I)
_NO = re.compile(r"^\W*(nee|neen|no|niet|geen)\b", re.I)
_NVT = re.compile(r"^\W*(n\.?\s?v\.?\s?t\.?|niet van toepassing)(\W|$)", re.I)


def clean(text: Optional[str]) -> Optional[str]:
    """Collapse whitespace; an empty or 'n.v.t.' answer is None."""
    if text is None:
        return None
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.splitlines()]
    out = "\n".join(ln for ln in lines if ln)
    if is_empty(out):
        return None
    return out


def text(value: Optional[str]) -> Optional[str]:
    """A free-text answer; a bare 'nee' / 'geen' means there is none."""
    t = clean(value)
    if t and re.fullmatch(r"\W*(nee|neen|geen|nvt)\W*", t, re.I):
        return None
    return t


def is_empty(text: Optional[str]) -> bool:
    if text is None:
        return True
    t = text.strip().lower().rstrip(".!")
    return t in EMPTY_ANSWERS or t.rstrip(".") in EMPTY_ANSWERS or bool(_NVT.match(t) and len(t) <= 25)


def yes_no(text: Optional[str]) -> Optional[bool]:
    """'Ja', 'ja!', 'JA (crisis)', 'Ja, gecheckt' → True; 'nee hoor' → False."""
    if not text or _NVT.match(text):
        return None
    if _YES.match(text):
        return True
    if _NO.match(text):
        return False
    return None


def strip_yes_no(text: str) -> str:
    """The answer after a leading ja/nee: 'Ja, Dagbesteding - 46A02' → 'Dagbesteding - 46A02'."""
    m = _YES.match(text) or _NO.match(text)
    if not m:
        return text
    return text[m.end():].lstrip(" .,;:-–\n")


PRODUCTCODE = re.compile(r"(?<![0-9A-Za-z])(\d{2}[A-Za-z]\d{2})(?![0-9A-Za-z])")


def productcode(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    codes = {c.upper() for c in PRODUCTCODE.findall(text)}
    return codes.pop() if len(codes) == 1 else None


def digits(text: Optional[str]) -> Optional[str]:
    """The one run of digits in an answer ('ZorgNed 9394642' → '9394642')."""
    if not text:
        return None
    runs = re.findall(r"\d[\d .]*\d|\d", text)
    runs = [re.sub(r"\D", "", r) for r in runs]
    runs = [r for r in runs if r]
    if not runs:
        return None
    return max(runs, key=len)


def integer(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    m = re.search(r"\d+", text)
    return int(m.group()) if m else None


EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")  # \w: 'ö.vanleeuwen@…' occurs


def email(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    m = EMAIL.search(text)
    return m.group().lower() if m else None


PHONE = re.compile(r"(?:\+31|0031|\(0\)|0)[\s\-./()]*\d(?:[\s\-./()]*\d){7,9}")


def phone(text: Optional[str]) -> Optional[str]:
    """A Dutch phone number as national digits: '+31 6 1234 5678' → '0612345678'."""
    if not text:
        return None
    m = PHONE.search(text)
    if not m:
        return None
    d = re.sub(r"\D", "", m.group().replace("(0)", ""))
    if m.group().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d if len(d) == 10 and d.startswith("0") else None


def remove_phone(text: str) -> str:
    return PHONE.sub("", text)


MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "febr": 2, "maart": 3, "mrt": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "augustus": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_NUM_DATE = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_WORD_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4}|'\d{2}|\d{2})(?!\d)",
    re.I,
)


def _year(y: str) -> int:
    y = y.lstrip("'")
    return int(y) + 2000 if len(y) == 2 else int(y)


def dates(text: Optional[str]) -> list[date]:
    """All dates in an answer, in order: '1-2-2027', '01/02/27', '1 februari 2027', ISO."""
    if not text:
        return []
    found: list[tuple[int, date]] = []
    for rx, order in ((_ISO_DATE, "ymd"), (_NUM_DATE, "dmy"), (_WORD_DATE, "dMy")):
        for m in rx.finditer(text):
            try:
                if order == "ymd":
                    d = date(int(m[1]), int(m[2]), int(m[3]))
                elif order == "dmy":
                    d = date(_year(m[3]), int(m[2]), int(m[1]))
                else:
                    d = date(_year(m[3]), MONTHS[m[2].lower()], int(m[1]))
            except ValueError:
                continue
            found.append((m.start(), d))
    found.sort(key=lambda x: x[0])
    return [d for _, d in found]


def one_date(text: Optional[str]) -> Optional[date]:
    ds = dates(text)
    return ds[0] if len(ds) == 1 else None


_AMOUNT = re.compile(r"(?:€|eur(?:o)?\b)?\s*(\d{1,3}(?:[.\s]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)", re.I)


def amount(text: Optional[str]) -> Optional[Decimal]:
    """A euro amount: '€ 1.250,00', '92.4 p/u', 'EUR 92,40 per uur' → Decimal."""
    if not text:
        return None
    t = text.replace("\u00a0", " ")
    # prefer a number right after a currency sign or word
    m = re.search(r"(?:€|\beur(?:o)?\b)\s*(\d[\d.,\s]*\d|\d)", t, re.I)
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
    (re.compile(r"\b(etmaal|etmalen|etm)\b\.?|\bper\s+nacht\b|\b24\s*uur\b", re.I), "etmaal"),
    (re.compile(r"\b(dagdeel|dagdelen|dd)\b", re.I), "dagdeel"),
    (re.compile(r"\b(uur|uren|u|hour)\b|p/u\b|/\s*u(?:ur)?\b|\bper\s+u\b", re.I), "uur"),
]


def unit(text: Optional[str]) -> Optional[str]:
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
    (re.compile(r"\b(per|elke|iedere|in de|p/)\s*(week|wk)\b|\bwekelijks\b|/\s*week\b", re.I), "week"),
    (re.compile(r"\b(per|elke|iedere|in de|p/)\s*(maand|mnd)\b|\bmaandelijks\b|/\s*maand\b", re.I), "maand"),
    (re.compile(r"\b(in\s+)?totaal\b", re.I), "totaal"),
]
_INZET = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(uur|uren|u\b|dagdelen|dagdeel|etmalen|etmaal|etm)", re.I
)


def inzet(text: Optional[str]) -> Optional[tuple[Decimal, str, Optional[str]]]:
    """'3 uur per week' → (3, 'uur', 'week'); '40 uur in totaal' → (40, 'uur', 'totaal')."""
    if not text:
        return None
    for line in text.splitlines():
        m = _INZET.search(line)
        if not m:
            continue
        rest = line[m.end():]
        per = next((name for rx, name in _PER if rx.search(rest)), None)
        if per is None:
            continue
        try:
            n = Decimal(m.group(1).replace(",", "."))
        except InvalidOperation:
            continue
        return n, unit(m.group(2)) or "uur", per
    return None


def kvk(text: Optional[str]) -> Optional[str]:
    return _labelled_digits(text, r"kvk(?:-?nummer)?|kamer van koophandel", 8)


def agb(text: Optional[str]) -> Optional[str]:
    return _labelled_digits(text, r"agb(?:-?code)?", 8)


def _labelled_digits(text: Optional[str], label: str, n: int) -> Optional[str]:
    if not text:
        return None
    m = re.search(rf"(?:{label})\s*[:.]?\s*(\d[\d ]{{{n - 2},{n + 4}}}\d)", text, re.I)
    if m:
        return re.sub(r"\D", "", m.group(1))
    return None


_IBAN = re.compile(r"\b([A-Z]{2}\s?\d{2}(?:\s?[A-Z0-9]){10,30})\b", re.I)


def iban_text(text: Optional[str]) -> Optional[str]:
    """The IBAN written in an answer, compact upper case (not yet checked)."""
    if not text:
        return None
    m = _IBAN.search(text.replace("IBAN", " ").replace("iban", " "))
    if not m:
        return None
    return re.sub(r"\s", "", m.group(1)).upper()


def iban_valid(value: str) -> bool:
    try:
        IBAN(value)
    except SchwiftyException:
        return False
    return True
