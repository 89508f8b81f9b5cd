"""The canonical fields of a request: one table, used by the readers, validation and
`scripts/make_templates.py`.

A field's name is its dotted path in `Aanvraag`'s JSON (`aanbieder.naam`); the table
lists them in the order of the project's own form (`templates/aanvraagformulier.*`),
with the question that form asks (Dutch, as staff read it). The question a warning
quotes is the region's (`[velden]` of mappings/labels.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from pipeline.models import Eenheid, Oordeel

Kind = Literal["text", "choice", "date"]


@dataclass(frozen=True)
class FormField:
    """One answer on the project's form.

    `required`: what is missing when it is empty, in Dutch ('de gemeente'; None: the
    field may stay empty). `spelled`: a name that goes into documents (read by OCR, its
    spelling is checked by a person). `long`: a written argument (a tall box on the
    PDF form).
    """

    name: str
    question: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    required: str | None = None
    spelled: bool = False
    long: bool = False


GEMEENTEN: Final = (
    "Bunnik",
    "Houten",
    "Utrechtse Heuvelrug",
    "Wijk bij Duurstede",
    "Zeist",
)
JA_NEE: Final = ("Ja", "Nee")
EENHEDEN: Final = get_args(Eenheid)
OORDELEN: Final = get_args(Oordeel)

FIELDS: Final[tuple[FormField, ...]] = (
    FormField("spoed", "Heeft deze aanvraag spoed?", "choice", JA_NEE),
    FormField(
        "gemeente",
        "Uit welke gemeente komt dit verzoek op het mogen sluiten van eenmalig lokaal"
        " contract?",
        "choice",
        GEMEENTEN,
        required="de gemeente",
    ),
    FormField(
        "zorgned_nummer",
        "Met welk registratie nummer staat client in ZorgNed?",
        required="het registratienummer in ZorgNed",
    ),
    FormField(
        "leeftijd",
        "Wat is de leeftijd van de client?",
        required="de leeftijd van de cliënt",
    ),
    FormField(
        "contactpersoon.naam",
        "Contactpersoon – naam",
        required="de naam van de contactpersoon",
        spelled=True,
    ),
    FormField("contactpersoon.telefoon", "Contactpersoon – telefoon"),
    FormField("contactpersoon.email", "Contactpersoon – e-mail"),
    FormField(
        "jeugdwet_gecheckt",
        "Heb je gecheckt of de door jouw noodzakelijk geachte hulp inderdaad onder de"
        " jeugdwet valt?",
        "choice",
        JA_NEE,
        required="of is gecheckt dat de hulp onder de Jeugdwet valt",
    ),
    FormField(
        "hulpvorm",
        "Gaat het om ambulante hulp of om jeugdhulp met verblijf?",
        "choice",
        ("ambulant", "verblijf"),
        required="of het gaat om ambulante hulp of jeugdhulp met verblijf",
    ),
    FormField("type_hulp", "Welk type hulp is nodig?", required="het type hulp"),
    FormField(
        "productcode",
        "Productcode (bijv. 45A53)",
        required="de productcode (bijv. 45A53)",
    ),
    FormField(
        "verblijfsvorm",
        "Bij verblijf: pleegzorg, gezinshuis, ouder en kind huis, instelling en type",
    ),
    FormField(
        "kader",
        "Gaat het om hulp in vrijwillig of gedwongen kader?",
        "choice",
        ("vrijwillig", "gedwongen"),
        required="of het gaat om vrijwillig of gedwongen kader",
    ),
    FormField(
        "pgb_verkend",
        "Indien vrijwillig kader: is de mogelijkheid van een PGB verkend?",
        "choice",
        JA_NEE,
    ),
    FormField("pgb_argumenten", "Waarom is een PGB geen optie?", long=True),
    FormField(
        "maatregel",
        "Indien gedwongen kader: is er sprake van een JB- of een JR-maatregel?",
        "choice",
        ("JB", "JR"),
    ),
    FormField(
        "reden_niet_gecontracteerd",
        "Wat zijn de redenen om voor deze hulp niet te kiezen voor een gecontracteerde"
        " aanbieder?",
        required="de reden om niet te kiezen voor een gecontracteerde aanbieder",
        long=True,
    ),
    FormField(
        "aanbieder.naam",
        "Welke aanbieder stel je voor?",
        required="de voorgestelde aanbieder",
        spelled=True,
    ),
    FormField(
        "aanbieder.contactpersoon", "Contactpersoon bij de aanbieder", spelled=True
    ),
    FormField("aanbieder.telefoon", "Telefoon contactpersoon aanbieder"),
    FormField("aanbieder.kvk", "KvK-nummer aanbieder"),
    FormField("aanbieder.agb_code", "AGB-code aanbieder"),
    FormField("aanbieder.iban", "IBAN aanbieder"),
    FormField(
        "aanbieder.rekeninghouder", "Tenaamstelling van het IBAN (naam rekeninghouder)"
    ),
    FormField(
        "aanbieder.adres",
        "Adres van de aanbieder (straat, huisnummer, postcode, plaats)",
    ),
    FormField(
        "kwaliteit_onderbouwing",
        "Welke informatie heb je al dat de beoogde aanbieder aan de professionele"
        " vereisten voor de beoogde hulp voldoet?",
        long=True,
    ),
    FormField(
        "startdatum",
        "Startdatum van de hulp",
        "date",
        required="de startdatum van de periode",
    ),
    FormField(
        "einddatum",
        "Einddatum van de hulp",
        "date",
        required="de einddatum van de periode",
    ),
    FormField("inzet.aantal", "Omvang van de inzet – aantal"),
    FormField("inzet.eenheid", "Omvang van de inzet – eenheid", "choice", EENHEDEN),
    FormField(
        "inzet.per",
        "Omvang van de inzet – per",
        "choice",
        ("week", "maand", "totaal"),
    ),
    FormField(
        "tarief.bedrag",
        "Welk tarief stel je voor? (bedrag in euro)",
        required="het voorgestelde tarief",
    ),
    FormField(
        "tarief.eenheid",
        "Tarief per",
        "choice",
        EENHEDEN,
        required="de eenheid van het tarief (uur, dagdeel of etmaal)",
    ),
)

# The advisers' part of the form: `<adviser>.<part>`, read together into one `Advies`.
ADVISERS: Final = ("advies_beleidsadviseur", "advies_icm")
ADVICE_PARTS: Final = ("oordeel", "toelichting", "productcode", "tarief")
ADVICE_FIELDS: Final[tuple[FormField, ...]] = (
    FormField(
        "advies_beleidsadviseur.oordeel",
        "Advies lokale beleidsadviseur",
        "choice",
        OORDELEN,
    ),
    FormField(
        "advies_beleidsadviseur.toelichting", "Toelichting beleidsadviseur", long=True
    ),
    FormField("advies_icm.oordeel", "Advies ICM", "choice", OORDELEN),
    FormField("advies_icm.toelichting", "Toelichting ICM", long=True),
    FormField("advies_icm.productcode", "Productcode (voorstel ICM)"),
    FormField("advies_icm.tarief", "Tarief (voorstel ICM)"),
)

NAMES: Final = tuple(f.name for f in FIELDS)
# field → what is missing when it is empty (a blocking finding of `validate`)
REQUIRED: Final = {f.name: f.required for f in FIELDS if f.required}
SPELLED: Final = tuple(f.name for f in FIELDS if f.spelled)
# every name a layout may give a cell (a content control's tag, an AcroForm field)
CANONICAL: Final = frozenset(NAMES) | {
    f"{who}.{part}" for who in ADVISERS for part in ADVICE_PARTS
}
