"""The referrer's answer to 'these provider data are missing': labelled lines in the
mail's own text ('KvK: 12345678', 'IBAN NL91 ABNA 0417 1643 00', 'Adres: Dorpsstraat 1,
3701 AB Zeist', 'Tenaamstelling: Zorg BV'), or a corrected form attached.

Only what is certain is taken: a KvK-nummer or AGB-code of 8 digits under its own label,
an IBAN that passes mod-97 (with or without a label), an address with a Dutch postcode,
a name under the tenaamstelling label. An unlabelled 8-digit number could be either code
and is left alone.
"""

from __future__ import annotations

import re

from pipeline.models import Aanvraag
from pipeline.readers import answers as nz
from pipeline.stages.provider_data import PROVIDER_FIELDS

# the provider fields in the order their labels are checked: a line is read under its
# first label
_READ_ORDER = sorted(PROVIDER_FIELDS, key=lambda f: not f.read_first)
POSTCODE = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b")
EIGHT_DIGITS = re.compile(r"^\D*(\d{8})\D*$")


def _value(field: str, text: str) -> str | None:
    text = re.sub(
        r"^\s*(?:\([^)]*\))?\s*[:=;–-]?\s*", "", text, count=1
    ).strip()  # 'IBAN (t.n.v.): …'

    if field in ("kvk", "agb_code"):
        m = EIGHT_DIGITS.match(re.sub(r"(?<=\d)[ .](?=\d)", "", text))
        return m.group(1) if m else None
    if field == "iban":
        return _valid_iban(text)
    if field == "adres":
        return nz.clean(text) if POSTCODE.search(text) else None
    name = nz.clean(text)
    return name if name and re.search(r"[A-Za-zÀ-ÿ]{2}", name) else None


def _valid_iban(text: str) -> str | None:
    iban = nz.iban_text(text)
    return iban if iban and nz.iban_valid(iban) else None


def provider_data(own_text: str, forms: list[Aanvraag]) -> dict[str, str]:
    """Provider fields the answer gives with certainty: labelled lines first, then an
    IBAN anywhere, then what a corrected form attached says."""
    found: dict[str, str] = {}
    for line in own_text.splitlines():
        for provider_field in _READ_ORDER:
            m = provider_field.label.search(line)
            if m is None:
                continue
            value = _value(provider_field.key, line[m.end() :])
            if value:
                found.setdefault(provider_field.key, value)
            break
    if "iban" not in found:
        iban = _valid_iban(own_text)
        if iban:
            found["iban"] = iban
    for form in forms:
        for provider_field in PROVIDER_FIELDS:
            value = getattr(form.aanbieder, provider_field.key)
            if value and provider_field.key not in found:
                found[provider_field.key] = value
    return found
