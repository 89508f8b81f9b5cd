"""Identifiers in an answer: e-mail address, phone number, KvK number, AGB code and
IBAN."""

from __future__ import annotations

import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

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


def phone_digits(raw: str) -> str | None:
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
    found = {d for d in (phone_digits(m.group()) for m in PHONE.finditer(text)) if d}
    return found.pop() if len(found) == 1 else None


# KvK 8 digits, AGB 8 digits; written with spaces, dots or dashes ('98-123456', '1234
# 5678')
EIGHT_DIGITS = r"(\d(?:[ .\-]?\d){7})(?![ .\-]?\d)"
KVK_LABEL = (
    r"k\.?v\.?k\.?(?:[\s-]*(?:nummer|nr\.?|no\.?))?|kamer van"
    r" koophandel(?:[\s-]*(?:nummer|nr\.?))?"
)
AGB_LABEL = r"agb(?:[\s-]*(?:code|nummer|nr\.?))?"


def kvk(text: str | None) -> str | None:
    return _labelled_digits(text, KVK_LABEL)


def agb(text: str | None) -> str | None:
    return _labelled_digits(text, AGB_LABEL)


def _labelled_digits(text: str | None, label: str) -> str | None:
    if not text:
        return None
    found = {
        re.sub(r"\D", "", m.group(1))
        for m in re.finditer(
            rf"(?<![a-z])(?:{label})\s*(?:is|:|=|\.|#)?\s*{EIGHT_DIGITS}", text, re.I
        )
    }
    return found.pop() if len(found) == 1 else None


def eight_digits(text: str | None) -> str | None:
    """The one 8-digit number (in groups or not) of an answer that asks for one."""
    if not text:
        return None
    found = {
        re.sub(r"\D", "", m.group(1))
        for m in re.finditer(r"(?<![\d\-.])" + EIGHT_DIGITS, text)
    }
    return found.pop() if len(found) == 1 else None


# groups may be split by a line break (an IBAN wrapped in a narrow cell)
IBAN_RUN = re.compile(
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
        for m in IBAN_RUN.finditer(t)
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
