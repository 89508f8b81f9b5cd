"""Validate stage: `Aanvraag` → findings (`Melding`), by the region's rules.

A `fout` refuses the request (its sender gets the list back); a `waarschuwing` lets it
through and is shown to the advisers so a person checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from pipeline.fields import REQUIRED
from pipeline.models import Aanvraag, Melding
from pipeline.readers import answers as nz
from pipeline.readers.value import CERTAIN
from pipeline.region.profile import Mappings

MIN_REDEN_LENGTH = 30
# a reason that points to an earlier request (a verlenging) is an argument the advisers
# can look up
EARLIER_REQUEST = re.compile(
    r"\b(eerdere|vorige|lopende|oorspronkelijke)\s+(aanvraag|zaak|beschikking|"
    r"overeenkomst)\b|\bverlenging\b|\bMW-\d{4}-\d+",
    re.I,
)


def _get(record: Aanvraag, dotted: str):
    value: Any = record
    for part in dotted.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def fout(veld: str | None, tekst: str) -> Melding:
    return Melding(veld=veld, ernst="fout", tekst=tekst)


def waarschuwing(veld: str | None, tekst: str) -> Melding:
    return Melding(veld=veld, ernst="waarschuwing", tekst=tekst)


# a finding on a field also rests on these: a missing PGB answer is only certain when
# the kader is
DEPENDS_ON = {
    "pgb_verkend": ("kader",),
    "pgb_argumenten": ("kader",),
    "maatregel": ("kader",),
    "einddatum": ("startdatum",),
}
UNSURE_SUFFIX = (
    " (Het formulier is hier niet met zekerheid gelezen; daarom geen weigering: de"
    " adviseurs controleren dit.)"
)


def validate(
    record: Aanvraag,
    mappings: Mappings,
    today: date,
    confidence: dict[str, float] | None = None,
) -> list[Melding]:
    """The region's rules on a record. A blocking finding (`fout`) on a field that was
    not read with certainty (`confidence` from the extract stage) becomes a
    `waarschuwing`: a referrer never gets a refusal for what the product may have
    misread."""
    confidence = confidence or {}

    def certain(veld: str | None) -> bool:
        if veld is None:
            return True
        return all(
            confidence.get(v, 1.0) >= CERTAIN for v in (veld, *DEPENDS_ON.get(veld, ()))
        )

    return [
        (
            m
            if m.ernst != "fout" or certain(m.veld)
            else waarschuwing(m.veld, m.tekst + UNSURE_SUFFIX)
        )
        for m in _findings(record, mappings, today)
    ]


def _findings(record: Aanvraag, mappings: Mappings, today: date) -> list[Melding]:
    return [m for rule in RULES for m in rule(record, mappings, today)]


def _required(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """Every required field answered."""
    for veld, wat in REQUIRED.items():
        if _get(r, veld) is None:
            yield fout(veld, f"Niet ingevuld of niet leesbaar: {wat}.")


def _about_the_request(
    r: Aanvraag, mappings: Mappings, today: date
) -> Iterator[Melding]:
    """The gemeente, spoed, the Jeugdwet check, the age and the hulpvorm."""
    if r.gemeente and r.gemeente not in mappings.region.gemeenten:
        yield fout(
            "gemeente",
            f"De gemeente {r.gemeente} hoort niet bij de regio"
            f" {mappings.region.naam}; stuur de aanvraag naar de eigen regio van de"
            " gemeente.",
        )
    if r.spoed is None:
        yield waarschuwing(
            "spoed",
            "Niet aangegeven of de aanvraag spoed heeft; behandeld als geen spoed.",
        )
    if r.jeugdwet_gecheckt is False:
        yield fout(
            "jeugdwet_gecheckt",
            "Niet gecheckt of de hulp onder de Jeugdwet valt. "
            "Check dit eerst; zonder die check kan de aanvraag niet verder.",
        )
    if r.leeftijd is not None:
        if not 0 <= r.leeftijd <= 23:
            yield fout(
                "leeftijd",
                f"Leeftijd {r.leeftijd} valt buiten de Jeugdwet (0 tot 18, "
                "verlengde jeugdhulp tot 23).",
            )
        elif r.leeftijd >= 17:
            yield waarschuwing(
                "leeftijd",
                "De cliënt is 17 of ouder: denk aan de overgang naar "
                "volwassenenzorg (Wmo/Wlz).",
            )
    if (
        r.hulpvorm == "verblijf" and "verblijf" in mappings.region.meldingen
    ):  # the region's own route
        yield waarschuwing("hulpvorm", mappings.region.meldingen["verblijf"])


# (kader, field, the answer that is a finding, its ernst, its text), in the order the
# findings are listed
KADER_ANSWERS: tuple[tuple[str, str, bool | None, Callable[..., Melding], str], ...] = (
    (
        "vrijwillig",
        "pgb_verkend",
        None,
        fout,
        "In vrijwillig kader: niet ingevuld of de mogelijkheid van een PGB is verkend.",
    ),
    (
        "vrijwillig",
        "pgb_verkend",
        False,
        waarschuwing,
        "In vrijwillig kader is de mogelijkheid van een PGB niet verkend.",
    ),
    (
        "vrijwillig",
        "pgb_argumenten",
        None,
        fout,
        "In vrijwillig kader: niet ingevuld waarom een PGB geen optie is.",
    ),
    (
        "gedwongen",
        "maatregel",
        None,
        fout,
        "In gedwongen kader: niet ingevuld of het om een JB- of JR-maatregel gaat.",
    ),
)


def _kader(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """In vrijwillig kader the PGB answered, in gedwongen kader the maatregel."""
    for kader, veld, answer, finding, tekst in KADER_ANSWERS:
        if r.kader == kader and getattr(r, veld) is answer:
            yield finding(veld, tekst)


def _reden(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """The reason not to choose a contracted provider: argued, or an earlier request."""
    if r.reden_niet_gecontracteerd and EARLIER_REQUEST.search(
        r.reden_niet_gecontracteerd
    ):
        yield waarschuwing(
            "reden_niet_gecontracteerd",
            "De reden verwijst naar een eerdere aanvraag; bekijk de onderbouwing daar.",
        )
    elif (
        r.reden_niet_gecontracteerd
        and len(r.reden_niet_gecontracteerd) < MIN_REDEN_LENGTH
    ):
        yield fout(
            "reden_niet_gecontracteerd",
            "De reden om niet voor een gecontracteerde aanbieder te kiezen "
            "is te kort; onderbouw de aanvraag met argumenten.",
        )


def _provider(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """The provider is not contracted by the region, and its numbers are valid."""
    contracted = mappings.contracted_match(r.aanbieder.naam, r.aanbieder.kvk)
    if contracted:
        if r.maatregel == "JR":
            yield waarschuwing(
                "aanbieder.naam",
                f"{contracted} is een gecontracteerde aanbieder; bij een "
                "JR-maatregel mag de GI die kiezen, maar een maatwerkovereenkomst "
                "is dan meestal niet nodig.",
            )
        else:
            yield fout(
                "aanbieder.naam",
                f"{contracted} is al gecontracteerd door de regio: met een"
                " gecontracteerde aanbieder wordt geen maatwerkovereenkomst"
                " gesloten.",
            )
    yield from _provider_ids(r)


def _period(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """The period: its end after its start, and before the client turns 18."""
    if r.startdatum and r.einddatum:
        if r.einddatum <= r.startdatum:
            yield fout("einddatum", "De einddatum ligt niet na de startdatum.")
        elif r.leeftijd is not None and r.leeftijd < 18:
            # a client of `leeftijd` turns 18 at the earliest this many years from now
            years = 17 - r.leeftijd
            earliest_18 = (
                today.replace(year=today.year + years)
                if not (today.month == 2 and today.day == 29)
                else date(today.year + years, 3, 1)
            )
            if r.einddatum > earliest_18:
                yield waarschuwing(
                    "einddatum",
                    "De periode loopt mogelijk door na de 18e verjaardag van de "
                    "cliënt; denk aan verlengde jeugdhulp of volwassenenzorg.",
                )


def _amounts(r: Aanvraag, mappings: Mappings, today: date) -> Iterator[Melding]:
    """The amount of care, the tariff against the region's, the referrer's phone."""
    if r.inzet.aantal is None or r.inzet.eenheid is None or r.inzet.per is None:
        yield waarschuwing(
            "inzet",
            "De omvang van de inzet (aantal uur/dagdelen/etmalen per week of maand)"
            " ontbreekt; die is nodig voor de contractwaarde.",
        )
    elif r.tarief.eenheid and r.inzet.eenheid != r.tarief.eenheid:
        yield waarschuwing(
            "inzet.eenheid",
            "De eenheid van de inzet en van het tarief verschillen.",
        )
    standard = mappings.standard_tariffs.get(
        (r.productcode or "", r.tarief.eenheid or "")
    )
    if (
        standard is not None
        and r.tarief.bedrag is not None
        and r.tarief.bedrag > standard
    ):
        yield waarschuwing(
            "tarief.bedrag",
            f"Het voorgestelde tarief (€ {r.tarief.bedrag}) ligt boven het "
            f"regionale standaardtarief (€ {standard} per {r.tarief.eenheid}) "
            f"voor productcode {r.productcode}; ICM beoordeelt dit.",
        )
    if r.contactpersoon.telefoon is None:
        yield waarschuwing(
            "contactpersoon.telefoon",
            "Geen (leesbaar) telefoonnummer van de contactpersoon.",
        )


# the rules in the order their findings are listed
RULES = (
    _required,
    _about_the_request,
    _kader,
    _reden,
    _provider,
    _period,
    _amounts,
)


def _provider_ids(r: Aanvraag) -> Iterator[Melding]:
    checks = (
        (
            "aanbieder.kvk",
            r.aanbieder.kvk,
            "het KvK-nummer",
            lambda v: len(v) == 8 and v.isdigit(),
        ),
        (
            "aanbieder.agb_code",
            r.aanbieder.agb_code,
            "de AGB-code",
            lambda v: len(v) == 8 and v.isdigit(),
        ),
        ("aanbieder.iban", r.aanbieder.iban, "het IBAN", nz.iban_valid),
    )
    for veld, value, wat, ok in checks:
        if value is None:
            yield waarschuwing(
                veld,
                f"Van de aanbieder ontbreekt {wat}; dit is nodig voordat het"
                " contract en het leveranciersformulier worden gemaakt.",
            )
        elif not ok(value):
            yield fout(veld, f"{wat[0].upper()}{wat[1:]} van de aanbieder is ongeldig.")


def has_errors(meldingen: list[Melding]) -> bool:
    return any(m.ernst == "fout" for m in meldingen)


def earlier_case_warnings(
    record: Aanvraag,
    earlier: list[tuple[str, str | None, date | None, date | None]],
) -> list[Melding]:
    """The same client with the same provider in an overlapping period: a possible
    duplicate or a verlenging. `earlier` holds (case id, aanbieder, start, end) of the
    client's other cases.
    """
    from rapidfuzz import fuzz

    out = []
    for case_id, aanbieder, start, end in earlier:
        same_provider = bool(
            aanbieder
            and record.aanbieder.naam
            and fuzz.token_sort_ratio(aanbieder.lower(), record.aanbieder.naam.lower())
            >= 90
        )
        overlaps = bool(
            start
            and end
            and record.startdatum
            and record.einddatum
            and start <= record.einddatum
            and record.startdatum <= end
        )
        if same_provider and overlaps:
            out.append(
                waarschuwing(
                    "zorgned_nummer",
                    f"Voor deze cliënt loopt al zaak {case_id} bij dezelfde aanbieder "
                    "in een overlappende periode: mogelijk dubbel of een verlenging.",
                )
            )
    return out
