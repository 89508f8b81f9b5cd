"""Each question of the form → how its answer is read (`READERS`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.models import Advies
from pipeline.readers import answers as nz
from pipeline.readers.care import (
    hulpvorm_box,
    kader_of,
    maatregel_of,
    read_hulp,
    read_hulpvorm,
    read_pgb,
    read_pgb_argumenten,
    read_type,
)
from pipeline.readers.people import (
    read_aanbieder,
    read_contact,
    read_iban_row,
    read_ids,
    read_number_row,
    read_provider_contact,
)
from pipeline.readers.period import read_inzet, read_periode, read_tarief
from pipeline.readers.value import (
    Read,
    Value,
    doubt,
    read_with,
    sure,
    yes_no_field,
)


def read_leeftijd(text: str) -> Read:
    value = nz.integer(re.sub(r"\b(19|20)\d{2}\b", "", text))  # a birth year is no age
    if value is None and nz.clean(text):
        return {
            "leeftijd": doubt(
                None, "de leeftijd kon niet eenduidig worden gelezen", 0.0
            )
        }
    if value is not None and re.search(
        r"\b(bijna|ongeveer|ca\.?|circa|rond)\b", text, re.I
    ):
        return {"leeftijd": doubt(value, "de leeftijd is bij benadering opgegeven")}
    return sure("leeftijd", value)


def _per(text: str) -> str | None:
    return next((p for p in ("week", "maand", "totaal") if p in text.lower()), None)


def _advice(who: str) -> Callable[[str], Read]:
    def read(text: str) -> Read:
        return {who: Value(_advice_from_text(text))}

    return read


def _advice_from_text(text: str):
    """An advice row written out ('Positief. Bekende aanbieder.\nProductcode:
    45M53\nTarief: …'): read as an advice mail is, so a negation or a condition is no
    advice; the choice printed as 'positief / negatief' is none either."""
    from pipeline.stages.advice import parse_icode, parse_reply

    if not nz.clean(text) or re.search(r"positief\s*/\s*negatief", text, re.I):
        return None
    advies = parse_reply(text)
    if not isinstance(advies, Advies):
        return None
    return advies.model_dump(exclude_none=True) | (
        {"icode": parse_icode(text)} if parse_icode(text) else {}
    )


# Each question of the form (a row kind of mappings/labels.toml, or a canonical field
# named by the layout itself) → how its answer is read.
READERS: dict[str, Callable[[str], Read]] = {
    "spoed": yes_no_field("spoed"),
    "gemeente": read_with("gemeente", nz.clean),
    "zorgned_nummer": read_with("zorgned_nummer", nz.digits),
    "leeftijd": read_leeftijd,
    "contactpersoon": read_contact,
    "jeugdwet_gecheckt": yes_no_field("jeugdwet_gecheckt"),
    "ambulant": read_hulp("ambulant"),
    "verblijf": read_hulp("verblijf"),
    "verblijfsvorm": lambda t: sure("verblijfsvorm", nz.text(t)),
    "kader": lambda t: (
        read_with("kader", kader_of)(t)
        | (
            {"maatregel": Value(maatregel_of(t))}
            if kader_of(t) == "gedwongen" and maatregel_of(t)
            else {}
        )
    ),
    "pgb": read_pgb,
    "maatregel": read_with("maatregel", maatregel_of),
    "reden_niet_gecontracteerd": lambda t: sure(
        "reden_niet_gecontracteerd", nz.clean(t)
    ),
    "aanbieder": read_aanbieder,
    "aanbieder_ids": read_ids,
    "aanbieder_kvk": read_number_row("aanbieder.kvk", nz.kvk),
    "aanbieder_agb": read_number_row("aanbieder.agb_code", nz.agb),
    "aanbieder_iban": read_iban_row,
    "aanbieder_adres": lambda t: sure("aanbieder.adres", nz.clean(t)),
    "aanbieder_rekeninghouder": lambda t: sure("aanbieder.rekeninghouder", nz.clean(t)),
    "kwaliteit_onderbouwing": lambda t: sure("kwaliteit_onderbouwing", nz.clean(t)),
    "periode": read_periode,
    "inzet": read_inzet,
    "tarief": read_tarief,
    "advies_beleidsadviseur": _advice("advies_beleidsadviseur"),
    "advies_icm": _advice("advies_icm"),
    # canonical fields, when the layout names them (content controls, AcroForm fields)
    "contactpersoon.naam": lambda t: {
        k: v for k, v in read_contact(t).items() if k == "contactpersoon.naam"
    },
    "contactpersoon.telefoon": read_with("contactpersoon.telefoon", nz.phone),
    "contactpersoon.email": read_with("contactpersoon.email", nz.email),
    "hulpvorm": lambda t: read_hulpvorm(t),
    "hulpvorm:ambulant": lambda t: hulpvorm_box("ambulant", t),
    "hulpvorm:verblijf": lambda t: hulpvorm_box("verblijf", t),
    "type_hulp": lambda t: read_type(t),
    "productcode": read_with("productcode", nz.productcode),
    "pgb_verkend": yes_no_field("pgb_verkend"),
    "pgb_argumenten": read_pgb_argumenten,
    "aanbieder.naam": read_aanbieder,
    "aanbieder.contactpersoon": lambda t: (
        read_aanbieder(t)
        if any(p.kind == "organisation" for p in nz.take_apart(t))
        else read_provider_contact(t)
    ),
    "aanbieder.telefoon": read_with("aanbieder.telefoon", nz.phone),
    "aanbieder.kvk": read_number_row("aanbieder.kvk", nz.kvk),
    "aanbieder.agb_code": read_number_row("aanbieder.agb_code", nz.agb),
    "aanbieder.iban": read_iban_row,
    "aanbieder.adres": lambda t: sure("aanbieder.adres", nz.clean(t)),
    "aanbieder.rekeninghouder": lambda t: sure("aanbieder.rekeninghouder", nz.clean(t)),
    "startdatum": read_with("startdatum", nz.one_date),
    "einddatum": read_with("einddatum", nz.one_date),
    "inzet.aantal": read_with("inzet.aantal", lambda t: nz.amount(t)),
    "inzet.eenheid": read_with("inzet.eenheid", nz.unit),
    "inzet.per": read_with("inzet.per", _per),
    "tarief.bedrag": read_with("tarief.bedrag", nz.amount),
    "tarief.eenheid": read_with("tarief.eenheid", nz.unit),
}
