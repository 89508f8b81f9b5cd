"""The answer grammar: what people write in an answer → typed values and pieces.

Two levels. Value readers (`yes_no`, `dates`, `amount`, `inzet`, `phone`, `kvk`, …) take
the text of one answer and return the value or None; none of them guesses beyond what
the text says. `take_apart` splits a composite answer ("Praktijk X B.V. (contact: Jan de
Vries, 06-12345678)", "Naam: …, tel: … / mail: …", "KvK 1234 5678 / AGB 98-123456 / IBAN
…") into typed `Piece`s — phone numbers, e-mail addresses, IBAN, KvK, AGB, labels,
annotations in brackets, person names and organisation names — whatever their order and
separators. Callers turn a None for a non-empty answer into a `waarschuwing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from pipeline.text import printable

EMPTY_ANSWERS = {
    "",
    "-",
    "--",
    "nvt",
    "n.v.t",
    "n.v.t.",
    "niet van toepassing",
    "nee n.v.t.",
    "geen",
    "x",
    "nb",
    "n.b.",
}

_YES = re.compile(
    r"^\W*(ja|yes|jazeker|zeker|jawel|klopt|akkoord|is gebeurd|gedaan)\b", re.I
)
_NO = re.compile(r"^\W*(nee|neen|no|niet|geen|nog niet)\b", re.I)
_NVT = re.compile(r"^\W*(n\.?\s?v\.?\s?t\.?|niet van toepassing)(\W|$)", re.I)
# a ticked and an empty checkbox as Word forms write them, before or after the word:
# '☒ Ja ☐ Nee', '[x] ja [ ] nee', 'Ja [ ] / Nee [x]', 'Ja ☐ / Nee ☑'
_BOX_ON = r"(?:[☒☑✓✔■⊠]|\[\s*[xX✓✔]\s*\]|\(\s*[xX]\s*\))"
_BOX_OFF = r"(?:[☐□]|\[\s*\]|\(\s*\))"
_NEGATION = re.compile(r"\b(niet|geen|nog niet|nee)\b", re.I)
# what an answer may say instead of a bare yes: 'gecheckt', 'verkend', 'is besproken'
_AFFIRMED = re.compile(
    r"^\W*(is\s+)?(gecheckt|gecontroleerd|verkend|besproken|nagegaan|uitgezocht|bekeken|overwogen)\b",
    re.I,
)
_DENIED = re.compile(
    r"^\W*(is\s+)?(nog\s+)?niet\s+(gecheckt|gecontroleerd|verkend|besproken|nagegaan|uitgezocht|"
    r"bekeken|overwogen)\b",
    re.I,
)


def clean(text: str | None) -> str | None:
    """Collapse whitespace, remove control characters; an empty or 'n.v.t.' answer is
    None."""
    if text is None:
        return None
    lines = [
        re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in printable(text).split("\n")
    ]
    out = "\n".join(ln for ln in lines if ln)
    if is_empty(out):
        return None
    return out


_UNKNOWN = re.compile(
    r"^\W*(nog\s+)?(niet\s+bekend|onbekend|weet\s+(ik\s+)?niet|volgt(\s+nog)?|n\.?\s?t\.?\s?b\.?|"
    r"nader\s+te\s+bepalen|nog\s+niet\s+(bepaald|duidelijk)|\?+)\W*$",
    re.I,
)


def is_unknown(text: str | None) -> bool:
    """'nog niet bekend', 'weet ik niet', 'volgt', 'n.t.b.', '?': the writer says there
    is no answer yet."""
    return bool(text and _UNKNOWN.match(text.strip()))


def text(value: str | None) -> str | None:
    """A free-text answer; a bare 'nee' / 'geen' means there is none."""
    t = clean(value)
    if t and re.fullmatch(r"\W*(nee|neen|geen|nvt)\W*", t, re.I):
        return None
    return t


def is_empty(text: str | None) -> bool:
    if text is None:
        return True
    t = text.strip().lower().rstrip(".!")
    return (
        t in EMPTY_ANSWERS
        or t.rstrip(".") in EMPTY_ANSWERS
        or bool(_NVT.match(t) and len(t) <= 25)
    )


def yes_no(text: str | None) -> bool | None:
    """'Ja', 'ja!', 'JA (crisis)', 'Ja, gecheckt met …', '☒ Ja ☐ Nee' → True; 'nee
    hoor', 'Nog niet gecheckt', 'niet verkend' → False; anything else None."""
    return yes_no_read(text)[0]


def ticked(text: str | None, options: tuple[str, ...]) -> tuple[str | None, str]:
    """The one option ticked in a row of checkboxes ('☐ vrijwillig ☒ gedwongen', 'Ja [ ]
    / Nee [x]'), and the text beside the boxes; (None, text) when there are no boxes or
    not exactly one is ticked.
    """
    if not text or not re.search(_BOX_ON + "|" + _BOX_OFF, text):
        return None, text or ""
    words = "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))
    first_box = re.search(_BOX_ON + "|" + _BOX_OFF, text).start()
    first_word = re.search(rf"\b({words})\b", text, re.I)
    if first_word is None:
        return None, text
    if (
        first_box < first_word.start()
    ):  # the boxes stand before their words: '☐ vrijwillig ☒ gedwongen'
        on, off = (
            re.compile(rf"{box}\s*({words})\b", re.I) for box in (_BOX_ON, _BOX_OFF)
        )
    else:  # after them: 'Ja [ ] / Nee [x]'
        on, off = (
            re.compile(rf"\b({words})\s*{box}", re.I) for box in (_BOX_ON, _BOX_OFF)
        )
    chosen = {m.group(1).lower() for m in on.finditer(text)}
    if len(chosen) != 1:
        return None, text
    rest = off.sub(" ", on.sub(" ", text))
    return chosen.pop(), re.sub(r"\s+", " ", rest).strip(" .,;:/-–\n")


def yes_no_read(text: str | None) -> tuple[bool | None, str]:
    """(yes/no, the rest of the answer after it). A bare echo of the question
    ('gecheckt', 'verkend') counts as yes, its negation ('nog niet gecheckt') as no."""
    if not text or _NVT.match(text):
        return None, text or ""
    box, rest = ticked(text, ("ja", "nee"))
    if box is not None:
        return box == "ja", rest
    m = _DENIED.match(text)
    if m:
        return False, text[m.end() :].lstrip(" .,;:-–\n")
    for rx, value in ((_YES, True), (_NO, False)):
        m = rx.match(text)
        if m:
            rest = text[m.end() :].lstrip(" .,;:-–—!\n")
            rest = _DENIED.sub("", rest, count=1) if not value else rest
            return value, _AFFIRMED.sub("", rest, count=1).lstrip(" .,;:-–—\n")
    m = _AFFIRMED.match(text)
    if m:
        return True, text[m.end() :].lstrip(" .,;:-–\n")
    return None, text


_PLACE_LOWER = {
    "aan",
    "den",
    "bij",
    "op",
    "en",
    "in",
    "het",
    "der",
    "de",
    "van",
    "ter",
    "te",
}


def place_name(text: str) -> str:
    """A place as written, in its usual capitals: 'gem. DE BILT' → 'De Bilt', 'wijk bij
    duurstede' → 'Wijk bij Duurstede'."""
    t = re.sub(
        r"^\W*(gemeente|gem\.?)\s+",
        "",
        re.sub(r"\(.*?\)", "", text).strip(),
        flags=re.I,
    )
    words = re.sub(r"\s+", " ", t).strip(" .,;:").split(" ")
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if i and low in _PLACE_LOWER:
            out.append(low)
        elif low.startswith("ij"):
            out.append("IJ" + low[2:])
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in low.split("-")))
    return " ".join(out)


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


EMAIL = re.compile(
    r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
)  # \w: 'ö.vanleeuwen@…' occurs


def email(text: str | None) -> str | None:
    if not text:
        return None
    found = {m.lower() for m in EMAIL.findall(text)}
    return found.pop() if len(found) == 1 else None


PHONE = re.compile(
    r"(?<![\d\w])\(?(?:\+31|0031|\(0\)|0)[\s\-./()]*\d(?:[\s\-./()]*\d){7,9}(?!\d)"
)


def _phone_digits(raw: str) -> str | None:
    raw = raw.lstrip("( ")
    d = re.sub(r"\D", "", raw.replace("(0)", ""))
    if raw.startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d if len(d) == 10 and d.startswith("0") else None


def phone(text: str | None) -> str | None:
    """A Dutch phone number as national digits: '+31 6 1234 5678' → '0612345678'."""
    if not text:
        return None
    found = {d for d in (_phone_digits(m.group()) for m in PHONE.finditer(text)) if d}
    return found.pop() if len(found) == 1 else None


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


_AMOUNT = re.compile(
    r"(?:€|eur(?:o)?\b)?\s*(\d{1,3}(?:[.\s]\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)",
    re.I,
)


def amount(text: str | None) -> Decimal | None:
    """A euro amount: '€ 1.250,00', '92.4 p/u', 'EUR 92,40 per uur', '€ 92,-' → Decimal."""
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
            r" de|p/|p\.|a)\s*(week|wk|w)\b\.?|\bwekelijks\b|/\s*(week|wk|w)\b|\bp\.?\s?w\b\.?)",
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


# KvK 8 digits, AGB 8 digits; written with spaces, dots or dashes ('98-123456', '1234
# 5678')
_EIGHT = r"(\d(?:[ .\-]?\d){7})(?![ .\-]?\d)"
_KVK_LABEL = (
    r"k\.?v\.?k\.?(?:[\s-]*(?:nummer|nr\.?|no\.?))?|kamer van"
    r" koophandel(?:[\s-]*(?:nummer|nr\.?))?"
)
_AGB_LABEL = r"agb(?:[\s-]*(?:code|nummer|nr\.?))?"


def kvk(text: str | None) -> str | None:
    return _labelled_digits(text, _KVK_LABEL)


def agb(text: str | None) -> str | None:
    return _labelled_digits(text, _AGB_LABEL)


def _labelled_digits(text: str | None, label: str) -> str | None:
    if not text:
        return None
    found = {
        re.sub(r"\D", "", m.group(1))
        for m in re.finditer(
            rf"(?<![a-z])(?:{label})\s*(?:is|:|=|\.|#)?\s*{_EIGHT}", text, re.I
        )
    }
    return found.pop() if len(found) == 1 else None


def eight_digits(text: str | None) -> str | None:
    """The one 8-digit number (in groups or not) of an answer that asks for one."""
    if not text:
        return None
    found = {
        re.sub(r"\D", "", m.group(1))
        for m in re.finditer(r"(?<![\d\-.])" + _EIGHT, text)
    }
    return found.pop() if len(found) == 1 else None


# groups may be split by a line break (an IBAN wrapped in a narrow cell)
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\s?\d{2}(?:(?:["
    r" .\-]|\s*\n\s*)?[A-Z0-9]){10,30})(?![A-Za-z0-9])",
    re.I,
)


def iban_text(text: str | None) -> str | None:
    """The IBAN written in an answer, compact upper case (not yet checked)."""
    if not text:
        return None
    t = re.sub(r"\biban\b\s*(nummer|nr\.?)?\s*[:.]?", " ", text, flags=re.I)
    found = {
        _iban_cut(re.sub(r"[\s.\-]", "", m.group(1)).upper())
        for m in _IBAN.finditer(t)
        if m.group(1)[:2].isupper()
        or iban_valid(_iban_cut(re.sub(r"[\s.\-]", "", m.group(1)).upper()))
    }
    found = {f for f in found if not f[2:4].isalpha()}
    if (
        len(found) > 1
    ):  # a valid one among look-alikes ('NL…' and a product code run-on)
        found = {f for f in found if iban_valid(f)} or found
    return found.pop() if len(found) == 1 else None


def _iban_cut(run: str) -> str:
    """An IBAN run on into the next word ('NL03ASNB0123456789TNV' from '… t.n.v. X'):
    its valid prefix; else the whole run (for the check to call it invalid)."""
    for length in range(min(len(run), 34), 14, -1):
        if iban_valid(run[:length]):
            return run[:length]
    return run


def iban_valid(value: str) -> bool:
    try:
        IBAN(value)
    except SchwiftyException:
        return False
    return True


# --- composite answers: typed pieces
# ---------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One part of a composite answer. `kind`: phone, email, iban, kvk, agb, person,
    organisation or text; `label` the label written before it ('contact', 'naam', 'tel',
    …), `annotation` when it was written in brackets."""

    kind: str
    value: str
    label: str | None = None
    annotation: bool = False


# Labels people write before a part of an answer, by what they announce. Longest first.
LABELS = {
    "contact": [
        "contactpersoon daar is",
        "contactpersoon is",
        "contact persoon",
        "contactpersoon",
        "contactpers",
        "contact via",
        "contact",
        "cp",
        "t.a.v.",
        "t.a.v",
        "tav",
        "ter attentie van",
        "bellen met",
        "bel met",
        "aanspreekpunt",
        "behandelaar",
        "begeleider",
        "hulpverlener",
        "via",
    ],
    "naam": [
        "naam verwijzer",
        "naam",
        "mij",
        "ik ben",
        "ikzelf",
        "ik",
        "mijzelf",
        "verwijzer",
        "door",
        "dhr.",
        "dhr",
        "mevr.",
        "mevr",
        "mw.",
        "de heer",
        "mevrouw",
    ],
    "aanbieder": [
        "naam aanbieder",
        "zorgaanbieder",
        "aanbieder",
        "organisatie",
        "instelling",
        "bureau",
    ],
    "tel": [
        "telefoonnummer",
        "telefoon",
        "tel.nr.",
        "tel nr",
        "tel.",
        "tel",
        "mobiel",
        "mob.",
        "mob",
        "nummer",
        "nr.",
        "bereikbaar op",
        "bereikbaar via",
        "06",
    ],
    "mail": ["e-mailadres", "emailadres", "e-mail", "email", "mailadres", "mail"],
}
_LABEL = re.compile(
    r"^\W*("
    + "|".join(
        re.escape(w)
        for w in sorted(
            (w for ws in LABELS.values() for w in ws if w != "06"),
            key=len,
            reverse=True,
        )
    )
    + r")(?![\w])\s*(?:is\b)?\s*[:.\-–=]?\s*",
    re.I,
)
_LABEL_KIND = {w.lower(): k for k, ws in LABELS.items() for w in ws}

# Words organisations use in their names (also inside compounds: 'Traumapraktijk',
# 'Woonzorg').
ORGANISATION_WORDS = (
    "b.v.",
    " bv",
    "v.o.f",
    " vof",
    "stichting",
    "praktijk",
    "zorg",
    "jeugd",
    "begeleiding",
    "therap",
    "centrum",
    "center",
    "groep",
    "instituut",
    "kliniek",
    "coach",
    "gezinshuis",
    "boerderij",
    "wonen",
    "woon",
    "hulp",
    "gezin",
    "expertise",
    "behandel",
    "pedagog",
    "psycholog",
    "holding",
    "academie",
    "school",
    "ggz",
    "huis ",
    "erf ",
    "kinder",
    "opvang",
    "training",
    "bureau",
    "atelier",
    "lab",
    "& ",
    "kompas",
    "team",
    "maatschap",
    "coöperatie",
    "cooperatie",
    "vereniging",
    "zorgerf",
    "begeleid",
    "logeer",
    "dagbesteding",
)
TUSSENVOEGSELS = {
    "van",
    "de",
    "der",
    "den",
    "het",
    "'t",
    "ten",
    "ter",
    "te",
    "el",
    "al",
    "in",
    "op",
    "von",
    "la",
    "le",
    "du",
    "da",
    "di",
    "d'",
    "'s",
    "v.d.",
    "vd",
    "v/d",
    "bin",
    "ben",
    "ait",
    "aït",
}
_NAME_WORD = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞĀ-ſ][\w'’À-ÿĀ-ſ]*(?:-[A-ZÀ-ÖØ-ÞĀ-ſa-z][\w'’À-ÿĀ-ſ]*)*\.?|[A-Z]\.(?:[A-Z]\.)*)$"
)


def is_organisation(text: str) -> bool:
    t = f" {text.lower()} "
    return any(w in t for w in ORGANISATION_WORDS) and any(ch.isupper() for ch in text)


def _strip(text: str) -> str:
    """Separators off both ends; a closing dot stays when it ends an abbreviation
    ('B.V.', 'J.')."""
    t = text.strip(" ,;:-–—/|\t")
    while t.endswith(".") and not re.search(r"(^|[\s.])[A-Za-z]\.$", t):
        t = t[:-1].rstrip(" ,;:-–—/|\t")
    return t.lstrip(". ")


def is_person(text: str) -> bool:
    """Does this look like a person's name: 'Lotte de Groot', 'J.A. van den Berg',
    'Gert-Jan Özdemir'?"""
    words = text.split()
    if (
        not 1 <= len(words) <= 6
        or any(ch.isdigit() for ch in text)
        or is_organisation(text)
    ):
        return False
    names = [w for w in words if w.lower() not in TUSSENVOEGSELS]
    return (
        bool(names)
        and all(_NAME_WORD.match(w) for w in names)
        and words[-1].lower() not in TUSSENVOEGSELS
    )


_SEPARATORS = re.compile(
    r"\n|;|\||,|\s/\s|\s[-–—]\s|\t|(?<=[a-zà-ÿ]{2})\.\s+(?=[A-ZÀ-Þ])"
)
_TRAILING_CONTACT = re.compile(
    r"[\s,;:]*\b(contact\s*persoon|contactpersoon|contact|cp|t\.a\.v\.?)\s*$", re.I
)
TRAILING_LABEL = re.compile(
    r"[\s/,;]*\b(tel|telefoon|tel\.?\s*nr|mobiel|mob|e-?mail|mail)\b\.?\s*:?\s*$", re.I
)
_NAME_AFTER_COLON = re.compile(r":\s+(?=[A-ZÀ-Þ])")


def take_apart(text: str | None) -> list[Piece]:
    """A composite answer → its pieces, in the order written."""
    if not text:
        return []
    pieces: list[Piece] = []
    _parts(text, pieces, annotation=False)
    return pieces


def _parts(
    text: str, out: list[Piece], annotation: bool, label: str | None = None
) -> None:
    # bracketed parts are read on their own; what is outside keeps its order. Numbers
    # and addresses are taken out first: their own dashes and slashes are no separators.
    text = _typed(text, out, annotation, label, gap=" ; ")
    pos = 0
    for m in re.finditer(r"\(([^()]*)\)|\[([^\[\]]*)\]", text):
        _segments(text[pos : m.start()], out, annotation, label)
        _parts(
            m.group(1) if m.group(1) is not None else m.group(2), out, annotation=True
        )
        pos = m.end()
    _segments(text[pos:], out, annotation, label)


def _typed(
    segment: str, out: list[Piece], annotation: bool, label: str | None, gap: str = " "
) -> str:
    """Take e-mail, IBAN, KvK, AGB and phone numbers out of a text; returns what is
    left, with `gap` where they were."""
    for m in EMAIL.finditer(segment):
        out.append(Piece("email", m.group().lower(), label, annotation))
    segment = EMAIL.sub(gap, segment)
    for kind, lab in (("kvk", _KVK_LABEL), ("agb", _AGB_LABEL)):
        rx = re.compile(rf"(?<![a-z])(?:{lab})\s*(?:is|:|=|\.|#)?\s*{_EIGHT}", re.I)
        for m in rx.finditer(segment):
            out.append(Piece(kind, re.sub(r"\D", "", m.group(1)), label, annotation))
        segment = rx.sub(gap, segment)
    ib = iban_text(segment)
    if ib:
        out.append(Piece("iban", ib, label, annotation))
        segment = re.sub(
            r"\biban\b\s*(nummer|nr\.?)?\s*[:.]?", " ", segment, flags=re.I
        )
        segment = _IBAN.sub(gap, segment)
    for m in PHONE.finditer(segment):
        d = _phone_digits(m.group())
        if d:
            out.append(Piece("phone", d, label, annotation))
    segment = PHONE.sub(gap, segment)
    eight = re.compile(
        r"(?<![\d\-.])" + _EIGHT
    )  # a number of 8 digits without its label (KvK or AGB?)
    for m in eight.finditer(segment):
        out.append(Piece("digits8", re.sub(r"\D", "", m.group(1)), label, annotation))
    return eight.sub(gap, segment)


def _segments(text: str, out: list[Piece], annotation: bool, label: str | None) -> None:
    for raw in _SEPARATORS.split(text):
        seg_label = _segment(raw, out, annotation, label)
        label = (
            seg_label if seg_label == "contact" else label
        )  # '(contact: Jan, 06-…)': the label holds on


def _segment(
    raw: str, out: list[Piece], annotation: bool, label: str | None
) -> str | None:
    """One segment → pieces; returns the label it carried."""
    seg = _strip(raw)
    seg_label = label
    while True:  # labels before the value: 'contactpersoon is', 'Naam:', 'tel.'
        m = _LABEL.match(seg)
        if not m or (
            m.end() == len(seg)
            and not seg.endswith((":", "."))
            and _LABEL_KIND[m.group(1).lower()] in ("naam", "aanbieder")
            and seg[:1].isupper()
            and " " not in seg.strip()
        ):
            break
        seg_label = _LABEL_KIND.get(m.group(1).lower(), seg_label)
        seg = _strip(seg[m.end() :])
    if not seg:
        return seg_label
    head = _NAME_AFTER_COLON.split(seg, maxsplit=1)[0]
    if (
        head != seg
    ):  # 'Praktijk X: Jan de Vries', 'Praktijk X B.V. Contact: Jan' — two parts
        labelled = _TRAILING_CONTACT.search(head)
        _segment(
            head[: labelled.start()] if labelled else head, out, annotation, seg_label
        )
        return _segment(
            seg[len(head) :].lstrip(": "),
            out,
            annotation,
            "contact" if labelled or is_organisation(head) else seg_label,
        )
    rest = _strip(re.sub(r"\s+", " ", _typed(seg, out, annotation, seg_label)))
    rest = _strip(
        TRAILING_LABEL.sub("", rest)
    )  # 'Hanneke Bosman /Tel:' — the label of what was taken out
    m = _LABEL.match(rest)
    if m and _LABEL_KIND[m.group(1).lower()] in ("tel", "mail"):
        rest = _strip(rest[m.end() :])
    if not rest or not any(ch.isalpha() for ch in rest):
        return seg_label
    kind = (
        "organisation"
        if is_organisation(rest)
        else "person"
        if is_person(rest)
        else "text"
    )
    out.append(Piece(kind, rest, seg_label, annotation))
    return seg_label
