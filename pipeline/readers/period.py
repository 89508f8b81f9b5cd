"""The rows about time and money: the period, the amount of care (`inzet`) and the
tariff."""

from __future__ import annotations

import re

from pipeline.readers import answers as nz
from pipeline.readers.value import (
    Read,
    Value,
    doubt,
    sure,
)


def read_periode(text: str) -> Read:
    ds = nz.dates(text)
    out: Read = {}
    if len(ds) == 2:
        out.update(sure("startdatum", ds[0]) | sure("einddatum", ds[1]))
    elif len(ds) == 1 and re.search(
        r"\b(tot|t/m|tm|tot en met|eind|einddatum|until)\b[^\d]*$",
        text[: text.find(str(ds[0].day))],
        re.I,
    ):
        out.update(
            sure("einddatum", ds[0])
            | {"startdatum": doubt(None, "de startdatum ontbreekt", 0.0)}
        )
    elif len(ds) == 1:
        out.update(
            sure("startdatum", ds[0])
            | {"einddatum": doubt(None, "de einddatum ontbreekt", 0.0)}
        )
    elif nz.text(text):
        why = (
            "de periode kon niet eenduidig worden gelezen"
            if not ds
            else "er staan meer dan twee datums"
        )
        out.update(
            {"startdatum": doubt(None, why, 0.0), "einddatum": doubt(None, why, 0.0)}
        )
    out.update(inzet_in(text))
    return out


def inzet_in(text: str) -> Read:
    found = nz.inzet(text)
    if not found:
        return {}
    n, eenheid, per = found
    return {
        "inzet.aantal": Value(n),
        "inzet.eenheid": Value(eenheid),
        "inzet.per": Value(per),
    }


def read_inzet(text: str) -> Read:
    out = inzet_in(text)
    if not out and nz.text(text):
        why = (
            "de omvang van de inzet kon niet eenduidig worden gelezen (aantal, eenheid"
            " en per week/maand/totaal)"
        )
        return {
            f: doubt(None, why, 0.0)
            for f in ("inzet.aantal", "inzet.eenheid", "inzet.per")
        }
    return out


def read_tarief(text: str) -> Read:
    """'€ 92,40 per uur', '92.4 p/u', 'euro 63,00 p/u\\n40 uur in totaal (totaal ca. €
    2.520,00)'."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    priced = [
        ln
        for ln in lines
        if re.search(r"€|\beur|\d[.,]\d{2}\b", ln, re.I)
        and not re.search(r"\btotaal\b.*€|€.*\btotaal\b|\bca\.", ln, re.I)
    ] or lines[:1]
    tline = priced[0] if priced else ""
    head = re.split(r"\(|\btotaal\b", tline, flags=re.I)[0]
    out: Read = {
        "tarief.bedrag": Value(nz.amount(head)),
        "tarief.eenheid": Value(
            nz.unit(re.sub(_inzet_pattern(), "", head)) or nz.unit(head)
        ),
    }
    if len(priced) > 1:
        out["tarief.bedrag"] = doubt(
            out["tarief.bedrag"].value, "er staan meerdere tarieven in het antwoord"
        )
    if out["tarief.bedrag"].value is None and nz.text(text):
        out["tarief.bedrag"] = doubt(None, "het bedrag kon niet worden gelezen", 0.0)
    if out["tarief.eenheid"].value is None and out["tarief.bedrag"].value is not None:
        out["tarief.eenheid"] = doubt(
            None, "niet aangegeven per uur, dagdeel of etmaal", 0.0
        )
    out.update(
        inzet_in(
            "\n".join(ln for ln in lines if ln is not tline)
            or re.sub(r"^[^€]*€\s*[\d.,]+", "", tline)
        )
    )
    return out


def _inzet_pattern() -> str:
    return (
        r"\d+(?:[.,]\d+)?\s*(uur|uren|u|dagdelen|dagdeel|etmalen|etmaal)"
        r"\s*(per|p/|/|in)\s*\w+"
    )
