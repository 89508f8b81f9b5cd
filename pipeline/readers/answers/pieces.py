"""Composite answers taken apart into typed pieces: phone numbers, e-mail addresses,
IBAN, KvK, AGB, labels, annotations in brackets, person and organisation names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.readers.answers.ids import (
    AGB_LABEL,
    EIGHT_DIGITS,
    EMAIL,
    IBAN_RUN,
    KVK_LABEL,
    PHONE,
    iban_text,
    phone_digits,
)


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
    for kind, lab in (("kvk", KVK_LABEL), ("agb", AGB_LABEL)):
        rx = re.compile(
            rf"(?<![a-z])(?:{lab})\s*(?:is|:|=|\.|#)?\s*{EIGHT_DIGITS}", re.I
        )
        for m in rx.finditer(segment):
            out.append(Piece(kind, re.sub(r"\D", "", m.group(1)), label, annotation))
        segment = rx.sub(gap, segment)
    ib = iban_text(segment)
    if ib:
        out.append(Piece("iban", ib, label, annotation))
        segment = re.sub(
            r"\biban\b\s*(nummer|nr\.?)?\s*[:.]?", " ", segment, flags=re.I
        )
        segment = IBAN_RUN.sub(gap, segment)
    for m in PHONE.finditer(segment):
        d = phone_digits(m.group())
        if d:
            out.append(Piece("phone", d, label, annotation))
    segment = PHONE.sub(gap, segment)
    eight = re.compile(
        r"(?<![\d\-.])" + EIGHT_DIGITS
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
