"""Generator of *unseen* legacy-style request forms, written the way strangers write
them.

Not made like the corpus: its own question wordings (reworded, shortened, renumbered,
English-ish, asides in brackets), its own answer phrasings and its own layouts. The
expected JSON of a form is the typed record it was written from.

    rng = random.Random(7) record = random_record(rng)           # canonical shape of
    the corpus JSON docx_bytes = write_form(record, rng)  # one of several writing
    styles, chosen at random docx_bytes, style = write_form_styled(record, rng)  # the
    same, plus the choices made

Everything is chosen independently with `rng`, so a seed gives the same set of forms.
"""

from __future__ import annotations

import copy
import io
import random
import tomllib
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from schwifty import IBAN

ZOU = Path(__file__).resolve().parents[1] / "mappings" / "regions" / "zou.toml"
GEMEENTEN = list(tomllib.loads(ZOU.read_text(encoding="utf-8"))["gemeenten"])

# --------------------------------------------------------------------------------------------
# typed records
# --------------------------------------------------------------------------------------------

FIRST = [
    "Anouk",
    "Bram",
    "Chantal",
    "Daan",
    "Eline",
    "Fatima",
    "Gijs",
    "Hélène",
    "Ilse",
    "Joost",
    "Karin",
    "Lars",
    "Mirjam",
    "Noah",
    "Özlem",
    "Pieter",
    "Rianne",
    "Sanne",
    "Tim",
    "Ümit",
    "Vera",
    "Wouter",
    "Yasmina",
    "Zoë",
    "Daniëlle",
    "Noël",
    "Renée",
    "Mohamed",
    "Saskia",
    "Jelle",
    "Büşra",
    "Thijs",
    "Annemiek",
    "Koen",
    "Esmée",
    "Ruben",
]
LAST = [
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Dekker",
    "Brouwer",
    "Kaya",
    "Yılmaz",
    "Özdemir",
    "Çelik",
    "Bouzid",
    "Groenewegen",
    "Kuipers",
    "Schouten",
    "Veenstra",
    "Huisman",
    "Scholten",
    "Prins",
    "Hendriks",
    "Lammers",
    "Kemper",
    "Şahin",
    "Nguyen",
    "Dijkstra",
    "Verhoeven",
    "van der Linden",
    "de Vries",
    "El Amrani",
    "van 't Hof",
    "van den Berg",
    "de Wit",
    "de Haan",
    "van der Wal",
    "ten Brink",
    "de Bruijn",
    "El Idrissi",
    "op de Weegh",
    "van Leeuwen",
    "de Groot",
    "van Dijk",
    "El Khatib",
    "van der Heijden",
    "in 't Veld",
    "de Jong",
]
NATURE = [
    "De Boomgaard",
    "Het Kompas",
    "De Wilgenhoeve",
    "De Vlinder",
    "De Zonnebloem",
    "Het Anker",
    "De Regenboog",
    "De Eikenhof",
    "Noorderlicht",
    "'t Klavertje",
    "De Brug",
    "Horizon",
    "De Kastanjehoeve",
    "Sterrenhof",
    "De Kromme Rijn",
    "Het Baken",
    "De Notenbalk",
    "Vlinderhof",
    "De Heuvelrand",
    "Het Groene Erf",
    "De Wegwijzer",
    "Zonnehoek",
]
PLACE = [
    "Driebergen",
    "Doorn",
    "Odijk",
    "Leersum",
    "Amerongen",
    "Cothen",
    "Schalkwijk",
    "Werkhoven",
    "Austerlitz",
    "Maarn",
    "Langbroek",
    "Tull en 't Waal",
]

AMBULANT = [  # type hulp, productcode, eenheid
    ("Behandeling ASS", "45A24", "uur"),
    ("Specialistische begeleiding", "45A53", "uur"),
    ("Individuele begeleiding", "45A10", "uur"),
    ("Ouderbegeleiding", "45A31", "uur"),
    ("Speltherapie", "45A40", "uur"),
    ("Traumabehandeling (EMDR)", "45A28", "uur"),
    ("Ambulante gezinsbehandeling", "45A60", "uur"),
    ("Muziektherapie", "45A44", "uur"),
    ("Psychodiagnostisch onderzoek", "45A20", "uur"),
    ("Dagbesteding op een zorgboerderij", "46A02", "dagdeel"),
    ("Groepsbegeleiding na schooltijd", "46A05", "dagdeel"),
    ("Ambulante begeleiding", "45A12", "uur"),
]
VERBLIJF = [  # type hulp, productcode, verblijfsvorm
    ("Gezinshuis", "40A05", "Gezinshuis"),
    ("Pleegzorg", "40A01", "Pleegzorg (bestandspleegzorg)"),
    ("Pleegzorg", "40A01", "Netwerkpleegzorg bij oom en tante"),
    ("Ouder-kindhuis", "40A12", "Ouder en kind huis"),
    ("Verblijf met behandeling", "41A03", "Instelling, open behandelgroep"),
    ("Logeeropvang", "43A01", "Instelling, logeerhuis (weekenden)"),
    ("Kamertraining", "42A07", "Instelling, kamertrainingscentrum"),
]
REDENEN = [
    (
        "Jeugdige heeft een sterke band opgebouwd met deze hulpverlener; overstappen"
        " naar een andere aanbieder zet de behandeling maanden terug."
    ),
    (
        "Er is bij de gecontracteerde aanbieders een wachtlijst van meer dan vier"
        " maanden en de situatie thuis verslechtert snel."
    ),
    (
        "De hulp moet in het Arabisch gegeven worden omdat moeder geen Nederlands"
        " spreekt; geen gecontracteerde aanbieder biedt dit aan."
    ),
    (
        "Combinatie van LVB en ernstige hechtingsproblematiek vraagt om specifieke"
        " expertise die we binnen het contract niet vinden."
    ),
    (
        "Gecontracteerde aanbieders hebben deze hulp geprobeerd maar zijn gestopt; de"
        " rechter heeft gevraagd om een andere aanpak."
    ),
    (
        "Zorgboerderij ligt op fietsafstand van school, alle gecontracteerde plekken"
        " zijn meer dan 30 km reizen voor een jongen die niet zelf kan reizen."
    ),
    (
        "Alleen deze aanbieder werkt met paarden als onderdeel van de behandeling, wat"
        " voor dit kind na twee mislukte trajecten de enige ingang blijkt."
    ),
    (
        "Ouders hebben ernstig wantrouwen richting de gecontracteerde aanbieders na"
        " eerdere ervaringen; met deze aanbieder is er wel een werkrelatie."
    ),
    (
        "Het gezinshuis is het enige in de buurt waar broer en zus samen geplaatst"
        " kunnen worden, zodat ze op hun eigen school blijven."
    ),
    (
        "De jongere is doof en heeft een hulpverlener nodig die NGT (Nederlandse"
        " Gebarentaal) beheerst; die is niet gecontracteerd in de regio."
    ),
]
KWALITEIT = [
    (
        "Behandelaar is BIG-geregistreerd GZ-psycholoog, praktijk heeft"
        " klachtenregeling en is aangesloten bij een geschillencommissie."
    ),
    (
        "SKJ-registratie van beide begeleiders gezien, VOG's aangeleverd, meldcode en"
        " privacyverklaring op de website gecontroleerd."
    ),
    (
        "Aanbieder heeft het HKZ-keurmerk, werkt met een gedragswetenschapper als"
        " regiebehandelaar en heeft ons het kwaliteitsjaarverslag gestuurd."
    ),
    (
        "Kennismakingsgesprek gevoerd; diploma's (hbo-pedagogiek) en SKJ-nummers"
        " ontvangen. Referentie bij gemeente Utrecht nagevraagd: positief."
    ),
    (
        "Zorgboerderij heeft het keurmerk Kwaliteit laat je zien, begeleiders zijn"
        " mbo-4 en hbo geschoold, calamiteitenprotocol ontvangen."
    ),
    (
        "Nog niet alles binnen: wel SKJ en VOG, de klachtenregeling volgt deze week per"
        " mail."
    ),
    (
        "Gezinshuisouders zijn via een franchiseorganisatie aangesloten, die het"
        " kwaliteitskader gezinshuizen hanteert; inspectierapport 2026 gelezen."
    ),
]
PGB_ARGS = [
    "Ouders willen geen budgethouder zijn.",
    (
        "Moeder is niet in staat de administratie van een PGB te voeren (eigen"
        " problematiek)."
    ),
    "De aanbieder werkt niet met PGB en levert alleen zorg in natura.",
    (
        "Ouders zijn gescheiden en kunnen het samen niet eens worden over wie het"
        " budget beheert."
    ),
    "Een PGB-vaardigheidsgesprek is gevoerd; ouders bleken daarvoor niet PGB-vaardig.",
    (
        "Gezin heeft schulden en zit in een traject bij schuldhulp, een PGB geeft te"
        " veel risico."
    ),
]
ROLES = [
    "jeugdconsulent",
    "jeugdprofessional",
    "gezinscoach",
    "wijkteammedewerker",
    "jeugdbeschermer",
    "POH-GGZ jeugd",
    "casusregisseur",
]
PROV_ROLES = [
    "gedragswetenschapper",
    "orthopedagoog",
    "eigenaar",
    "praktijkhouder",
    "zorgcoördinator",
    "GZ-psycholoog",
    "teamleider",
]
DOMAINS = [
    "zeist.nl",
    "bunnik.nl",
    "houten.nl",
    "heuvelrug.nl",
    "wijkbijduurstede.nl",
    "jeugdteamzeist.nl",
    "sociaalteamhouten.nl",
    "samenveiligmidden.nl",
    "wsgv.nl",
]
BANKS = ["ABNA", "INGB", "RABO", "TRIO", "KNAB", "SNSB", "ASNB", "BUNQ"]
# the region's contracted providers (a maatwerk request for them is refused): keep clear
# of them
CONTRACTED_WORDS = ("kwadraat", "lokaal team", "linde")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(
        c for c in text if not unicodedata.combining(c) and (c.isalnum() or c == ".")
    )


def _email(name: str, rng: random.Random) -> str:
    first, _, rest = name.partition(" ")
    local = f"{first[0]}.{rest.replace(' ', '').replace(chr(39), '')}"
    if rng.random() < 0.2:
        local = f"{first}.{rest.replace(' ', '').replace(chr(39), '')}"
    return _ascii(local).lower() + "@" + rng.choice(DOMAINS)


def _phone(rng: random.Random, mobile: bool | None = None) -> str:
    mobile = rng.random() < 0.65 if mobile is None else mobile
    if mobile:
        return "06" + "".join(rng.choice("0123456789") for _ in range(8))
    if rng.random() < 0.6:
        return (
            "030"
            + rng.choice("23456789")
            + "".join(rng.choice("0123456789") for _ in range(6))
        )
    return (
        "0343"
        + rng.choice("2345678")
        + "".join(rng.choice("0123456789") for _ in range(5))
    )


def _digits(rng: random.Random, n: int) -> str:
    return rng.choice("123456789") + "".join(
        rng.choice("0123456789") for _ in range(n - 1)
    )


def _provider_name(rng: random.Random, verblijf: bool) -> str:
    while True:
        s, n, p = rng.choice(LAST), rng.choice(NATURE), rng.choice(PLACE)
        s = s[0].upper() + s[1:]
        if verblijf:
            name = rng.choice(
                [
                    f"Gezinshuis {n}",
                    f"Stichting Kleinschalig Wonen {p}",
                    f"Jeugdzorg {n} B.V.",
                    f"Woonzorg {n}",
                    f"Stichting {n}",
                    f"Gezinshuis Familie {s}",
                ]
            )
        else:
            name = rng.choice(
                [
                    f"Praktijk {s}",
                    f"Praktijk {n} B.V.",
                    f"Stichting {n}",
                    f"Jeugdzorg {p}",
                    f"Zorgboerderij {n}",
                    f"{n} Jeugdzorg B.V.",
                    f"Kindertherapie {s}",
                    f"Orthopedagogenpraktijk {s}",
                    f"{s} Zorg & Begeleiding",
                    f"Jeugdhulp {p} V.O.F.",
                    f"Therapiecentrum {n}",
                    f"Zorgboerderij {p}",
                ]
            )
        if not any(w in name.lower() for w in CONTRACTED_WORDS):
            return name


def _iban(rng: random.Random) -> str:
    return str(
        IBAN.generate("NL", bank_code=rng.choice(BANKS), account_code=_digits(rng, 10))
    ).replace(" ", "")


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def random_record(rng: random.Random, valid: bool = True) -> dict[str, Any]:
    """A realistic typed record in the canonical shape of the corpus JSON. `valid`: the
    rules of the spec pass (jeugdwet checked, kader-specific answers present, provider
    ids present).
    """
    verblijf = rng.random() < 0.3
    vrijwillig = rng.random() < 0.6
    if verblijf:
        type_hulp, code, vorm = rng.choice(VERBLIJF)
        eenheid = "etmaal"
    else:
        type_hulp, code, eenheid = rng.choice(AMBULANT)
        vorm = None
    naam = _person(rng)
    leeftijd = (
        rng.randint(18, 22)
        if rng.random() < 0.05
        else rng.randint(2 if not verblijf else 0, 17)
    )
    start = date(
        2027, rng.randint(1, 9), 1 if rng.random() < 0.7 else rng.randint(2, 28)
    )
    months = rng.randint(3, 12)
    end = _add_months(start, months) - timedelta(days=1)
    if rng.random() < 0.2:  # open end: to the end of a month
        end = _add_months(date(end.year, end.month, 1), 1) - timedelta(days=1)
    # inzet
    if eenheid == "uur":
        inzet = rng.choice(
            [
                {"aantal": rng.choice([1, 2, 3, 4, 6]), "per": "week"},
                {"aantal": 1.5, "per": "week"},
                {"aantal": 2.5, "per": "week"},
                {"aantal": rng.choice([8, 12, 16]), "per": "maand"},
                {"aantal": rng.choice([20, 40, 60, 80]), "per": "totaal"},
            ]
        )
    elif eenheid == "dagdeel":
        inzet = rng.choice(
            [
                {"aantal": rng.choice([1, 2, 3, 4]), "per": "week"},
                {"aantal": rng.choice([4, 8, 10]), "per": "maand"},
                {"aantal": rng.choice([20, 40]), "per": "totaal"},
            ]
        )
    else:
        inzet = rng.choice(
            [
                {"aantal": 7, "per": "week"},
                {"aantal": rng.choice([2, 4]), "per": "week"},
                {"aantal": 30, "per": "maand"},
                {"aantal": rng.choice([8, 10]), "per": "maand"},
                {"aantal": rng.choice([90, 180, 365]), "per": "totaal"},
            ]
        )
    inzet = {"aantal": inzet["aantal"], "eenheid": eenheid, "per": inzet["per"]}
    if rng.random() < 0.08:
        inzet = None
    lo, hi = {"uur": (55, 112), "dagdeel": (42, 95), "etmaal": (150, 420)}[eenheid]
    cents = rng.choice([0, 0, 0, 50, 40, 25, 75, rng.randint(1, 99)])
    bedrag = Decimal(rng.randint(lo, hi)) + Decimal(cents) / 100
    aanbieder_naam = _provider_name(rng, verblijf)
    return {
        "spoed": rng.random() < 0.35,
        "gemeente": rng.choice(GEMEENTEN),
        "zorgned_nummer": _digits(rng, rng.choice([7, 7, 8])),
        "leeftijd": leeftijd,
        "contactpersoon": {
            "naam": naam,
            "telefoon": _phone(rng),
            "email": _email(naam, rng) if rng.random() < 0.9 else None,
        },
        "jeugdwet_gecheckt": True if valid or rng.random() < 0.8 else False,
        "hulpvorm": "verblijf" if verblijf else "ambulant",
        "type_hulp": type_hulp,
        "productcode": code,
        "verblijfsvorm": vorm,
        "kader": "vrijwillig" if vrijwillig else "gedwongen",
        "pgb_verkend": (rng.random() < 0.85) if vrijwillig else None,
        "pgb_argumenten": rng.choice(PGB_ARGS) if vrijwillig else None,
        "maatregel": None if vrijwillig else rng.choice(["JB", "JB", "JR"]),
        "reden_niet_gecontracteerd": rng.choice(REDENEN),
        "aanbieder": {
            "naam": aanbieder_naam,
            "contactpersoon": _person(rng),
            "telefoon": _phone(rng) if rng.random() < 0.95 else None,
            "kvk": _digits(rng, 8),
            "agb_code": rng.choice(["98", "90", "94", "75"]) + _digits(rng, 6),
            "iban": _iban(rng),
        },
        "kwaliteit_onderbouwing": rng.choice(KWALITEIT),
        "startdatum": start.isoformat(),
        "einddatum": end.isoformat(),
        "inzet": inzet,
        "tarief": {"bedrag": f"{bedrag:.2f}", "eenheid": eenheid},
        "advies_beleidsadviseur": None,
        "advies_icm": None,
    }


# --------------------------------------------------------------------------------------------
# answer phrasing: typed value → what a referrer writes
# --------------------------------------------------------------------------------------------

MAANDEN = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
MND = [
    "jan.",
    "feb.",
    "mrt.",
    "apr.",
    "mei",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "okt.",
    "nov.",
    "dec.",
]
GETALLEN = [
    "nul",
    "één",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
    "twintig",
    "eenentwintig",
    "tweeëntwintig",
    "drieëntwintig",
]
BOX_ON, BOX_OFF = "☒", "☐"

# An answer is a list of paragraphs; a paragraph is a str or a list of runs (text,
# {"strike": True}).
Answer = list


def _checkboxes(options: list[str], chosen: int, rng: random.Random) -> str:
    on, off = rng.choice([(BOX_ON, BOX_OFF), ("[x]", "[ ]"), ("☑", "☐")])
    if rng.random() < 0.5:
        return "  ".join(
            f"{on if i == chosen else off} {o}" for i, o in enumerate(options)
        )
    return " / ".join(
        f"{o} {on if i == chosen else off}" for i, o in enumerate(options)
    )


def _struck(options: list[str], chosen: int) -> list:
    """'Ja / Nee' with the options not meant struck through (the legacy way)."""
    runs: list = []
    for i, o in enumerate(options):
        if i:
            runs.append((" / ", {}))
        runs.append((o, {} if i == chosen else {"strike": True}))
    return runs


def say_bool(value: bool, kind: str, rng: random.Random) -> Answer:
    r = rng.random()
    if r < 0.12:
        return [_checkboxes(["Ja", "Nee"], 0 if value else 1, rng)]
    if r < 0.17:
        return [_struck(["Ja", "Nee"], 0 if value else 1)]
    if kind == "spoed":
        words = (
            [
                "Ja",
                "ja hoor",
                "Ja!",
                "JA",
                "Ja, spoed",
                "ja, graag binnen 2 werkdagen",
                "Ja (start uiterlijk volgende week)",
                "Yes",
            ]
            if value
            else [
                "Nee",
                "nee, geen spoed",
                "Geen spoed",
                "nee hoor",
                "Nee (reguliere termijn is prima)",
                "Nee.",
                "neen",
                "No",
                "geen spoed, 5 werkdagen is goed",
            ]
        )
    elif kind == "pgb":
        words = (
            ["Ja", "ja, besproken", "Ja, met ouders besproken", "Ja, verkend"]
            if value
            else ["Nee", "nee, niet besproken", "Nee, (nog) niet"]
        )
    else:
        words = (
            [
                "Ja",
                "Ja, gecheckt",
                "ja, gecheckt met de gedragswetenschapper",
                "Gecheckt: ja",
                "Ja, valt onder de Jeugdwet",
                "Ja.",
                "yes, checked",
                "ja (afgestemd met collega Wmo)",
            ]
            if value
            else ["Nog niet gecheckt", "Nee", "nee, nog niet", "Nee, nog uitzoeken"]
        )
    return [rng.choice(words)]


def say_gemeente(name: str, rng: random.Random) -> Answer:
    def typo(s: str) -> str:
        i = rng.randrange(2, len(s) - 1)
        return rng.choice(
            [
                s[:i] + s[i + 1 :],
                s[:i] + s[i] + s[i:],
                s[:i] + s[i + 1] + s[i] + s[i + 2 :],
            ]
        )

    options = [
        name,
        name.lower(),
        f"Gemeente {name}",
        f"gem. {name}",
        f"{name} (lokaal team)",
        typo(name),
        name.upper(),
    ]
    if name == "Utrechtse Heuvelrug":
        options += [
            "Heuvelrug",
            "Utr. Heuvelrug",
            "Doorn (gemeente Utrechtse Heuvelrug)",
        ]
    if name == "Wijk bij Duurstede":
        options += ["Wijk bij Duurstede", "Wijk b. Duurstede"]
    return [rng.choice(options)]


def say_number_id(digits: str, rng: random.Random) -> Answer:
    grouped = (
        " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
        if rng.random() < 0.5
        else f"{digits[:2]} {digits[2:4]} {digits[4:]}"
    )
    return [
        rng.choice(
            [
                digits,
                digits,
                f"ZorgNed: {digits}",
                f"nr. {digits}",
                grouped,
                f"{digits} (ZorgNed)",
                f"Reg.nr. {digits}",
                f"cliëntnummer {digits}",
            ]
        )
    ]


def say_leeftijd(age: int, rng: random.Random) -> Answer:
    return [
        rng.choice(
            [
                f"{age}",
                f"{age} jaar",
                f"{age}jr",
                f"{GETALLEN[age]} jaar",
                f"{age} jaar oud",
                f"{age} (jaar)",
                f"{age} j.",
                f"{age} years",
            ]
        )
    ]


def say_phone(digits: str, rng: random.Random) -> str:
    if digits.startswith("06"):
        n = digits[2:]
        return rng.choice(
            [
                f"06-{n}",
                f"06 {n}",
                f"06 {n[:4]} {n[4:]}",
                f"+31 6 {n[:4]} {n[4:]}",
                f"0031 6 {n}",
                f"+31 (0)6 {n}",
                digits,
                f"06-{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                f"+316{n}",
            ]
        )
    if digits.startswith("030"):
        n = digits[3:]
        return rng.choice(
            [
                f"030 - {n[:3]} {n[3:5]} {n[5:]}",
                f"(030) {n}",
                f"030-{n}",
                f"+31 30 {n[:3]} {n[3:]}",
                f"030 {n[:3]} {n[3:]}",
                digits,
            ]
        )
    n = digits[4:]
    return rng.choice(
        [
            f"0343-{n}",
            f"(0343) {n[:2]} {n[2:4]} {n[4:]}",
            f"+31 343 {n[:3]} {n[3:]}",
            f"0343 {n}",
            digits,
        ]
    )


def say_contact(c: dict, rng: random.Random) -> Answer:
    naam, tel, mail = c["naam"], say_phone(c["telefoon"], rng), c["email"]
    role = rng.choice(ROLES)
    m = f", mail: {mail}" if mail else ""
    options = [
        [f"Naam: {naam}, tel: {tel}{m}"],
        [f"Mij: {naam} / {tel}" + (f" / {mail}" if mail else "")],
        [f"{naam} ({role}), {tel}" + (f", {mail}" if mail else "")],
        [f"{naam} | {tel}" + (f" | {mail}" if mail else "")],
        [naam, tel] + ([mail] if mail else []),
        [f"{naam}, {role}. Bereikbaar op {tel}" + (f" of via {mail}" if mail else "")],
        [naam, f"Tel.: {tel}"] + ([f"E-mail: {mail}"] if mail else []),
        [f"{naam} – phone {tel}" + (f" – email {mail}" if mail else "")],
        [f"{naam} (ma, di, do bereikbaar)", tel] + ([mail] if mail else []),
    ]
    return rng.choice(options)


def say_date(d: date, style: str, with_year: bool = True) -> str:
    y = "" if not with_year else None
    if style == "dmy":
        return f"{d.day}-{d.month}-{d.year}"
    if style == "dmy0":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if style == "slash2":
        return f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"
    if style == "slash":
        return f"{d.day}/{d.month}/{d.year}"
    if style == "long":
        return f"{d.day} {MAANDEN[d.month - 1]}" + ("" if y == "" else f" {d.year}")
    if style == "short":
        return f"{d.day} {MND[d.month - 1]}" + ("" if y == "" else f" {d.year}")
    if style == "iso":
        return d.isoformat()
    if style == "dots":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    raise ValueError(style)


DATE_STYLES = ["dmy", "dmy0", "slash2", "slash", "long", "short", "iso", "dots"]


def say_period(s: date, e: date, rng: random.Random) -> Answer:
    style = rng.choice(DATE_STYLES)
    a, b = say_date(s, style), say_date(e, style)
    if style in ("long", "short") and s.year == e.year and rng.random() < 0.5:
        a = say_date(s, style, with_year=False)
    forms = [
        [f"van {a} t/m {b}"],
        [f"{a} tot en met {b}"],
        [f"{a} - {b}"],
        [f"{a} – {b}"],
        [f"Start: {a}", f"Eind: {b}"],
        [f"ingangsdatum {a}, einddatum {b}"],
        [f"per {a} tot {b}"],
        [f"{a} t/m {b}"],
        [f"from {a} to {b}"],
        [f"Begin {a}", f"Einde {b}"],
        [f"{a} tot {b} (daarna evalueren)"],
    ]
    return rng.choice(forms)


def _num(n) -> str:
    return str(n).replace(".", ",") if isinstance(n, float) else str(n)


def say_inzet(inzet: dict, rng: random.Random) -> str:
    n, e, per = _num(inzet["aantal"]), inzet["eenheid"], inzet["per"]
    plural = (
        {"uur": "uur", "dagdeel": "dagdelen", "etmaal": "etmalen"}[e]
        if inzet["aantal"] != 1
        else e
    )
    if per == "totaal":
        return rng.choice(
            [
                f"in totaal {n} {'uren' if e == 'uur' else plural}",
                f"{n} {plural} totaal",
                f"totaal {n} {plural}",
                f"{n} {plural} voor de hele periode",
            ]
        )
    if e == "uur":
        if per == "week":
            return rng.choice(
                [
                    f"{n} uur per week",
                    f"{n} u/wk",
                    f"{n} uur p/w",
                    f"gemiddeld {n} uur per week",
                    f"{n} uur/week",
                    f"{n} uren per week",
                    f"{n} hours a week",
                ]
            )
        return rng.choice(
            [f"{n} uur p/m", f"{n} uur per maand", f"{n} u/mnd", f"{n} uur in de maand"]
        )
    if per == "week":
        return rng.choice(
            [f"{n} {plural} per week", f"{n} {plural} p/w", f"{n} {plural} in de week"]
        )
    return rng.choice(
        [f"{n} {plural} per maand", f"{n} {plural} p/m", f"{n} {plural} per mnd."]
    )


def say_tarief(t: dict, rng: random.Random) -> str:
    b = Decimal(t["bedrag"])
    e = t["eenheid"]
    nl = f"{b:.2f}".replace(".", ",")
    short = f"{b.normalize():f}" if b != b.to_integral_value() else f"{int(b)}"
    whole = b == b.to_integral_value()
    per = {
        "uur": rng.choice(["per uur", "p/u", "/uur", "p.u.", "per uur excl. btw"]),
        "dagdeel": rng.choice(
            ["per dagdeel", "p/dagdeel", "/dagdeel", "per dagdeel (4 uur)"]
        ),
        "etmaal": rng.choice(["per etmaal", "p/etmaal", "per etm.", "/etmaal"]),
    }[e]
    sep = "" if per.startswith("/") else " "
    forms = [
        f"€ {nl}{sep}{per}",
        f"{short}{sep}{per}",
        f"EUR {nl}{sep}{per}",
        f"€{nl}{sep}{per}",
        f"{nl} euro{sep}{per}",
        f"€ {short.replace('.', ',')}{sep}{per}",
    ]
    if whole:
        forms += [f"€ {int(b)},-{sep}{per}", f"€ {int(b)},00{sep}{per}"]
    if e == "uur":
        forms += [f"uurtarief € {nl}", f"€ {short} per hour"]
    forms += [f"Tarief {per.strip('/')}: € {nl}"]
    return rng.choice(forms)


def say_ids(a: dict, rng: random.Random) -> dict[str, str]:
    kvk, agb, iban = a["kvk"], a["agb_code"], a["iban"]
    spaced_iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return {
        "kvk": rng.choice(
            [
                kvk,
                f"KvK {kvk}",
                f"{kvk[:4]} {kvk[4:]}",
                f"nr. {kvk}",
                f"{kvk[:2]}.{kvk[2:5]}.{kvk[5:]}",
            ]
        ),
        "agb": rng.choice(
            [
                agb,
                f"{agb[:2]}-{agb[2:]}",
                f"{agb[:2]}.{agb[2:4]}.{agb[4:6]}.{agb[6:]}",
                f"AGB {agb}",
                f"{agb[:4]} {agb[4:]}",
            ]
        ),
        "iban": rng.choice(
            [
                iban,
                spaced_iban,
                f"IBAN: {spaced_iban}",
                f"{spaced_iban} t.n.v. {a['naam']}",
                f"{iban} (t.n.v. {a['naam']})",
            ]
        ),
    }


def say_ids_combined(a: dict, rng: random.Random) -> Answer:
    i = say_ids(a, rng)
    k, g, b = a["kvk"], a["agb_code"], a["iban"]
    spaced = " ".join(b[j : j + 4] for j in range(0, len(b), 4))
    return rng.choice(
        [
            [f"KvK {k} / AGB {g[:2]}-{g[2:]} / IBAN {b}"],
            [
                f"KvK-nummer: {k[:4]} {k[4:]}; AGB-code:"
                f" {g[:2]}.{g[2:4]}.{g[4:6]}.{g[6:]}; IBAN: {spaced}"
            ],
            [f"KvK: {k}", f"AGB: {g}", f"IBAN: {spaced}"],
            [f"{k} / {g} / {b}"],
            [f"KvK {i['kvk'].removeprefix('KvK ')}, AGB-code {g}, rekening {b}"],
            [f"Kamer van Koophandel {k}", f"AGB {g}", f"Bank: {spaced}"],
        ]
    )


def say_provider(a: dict, rng: random.Random) -> Answer:
    x, y = a["naam"], a["contactpersoon"]
    t = say_phone(a["telefoon"], rng) if a["telefoon"] else None
    role = rng.choice(PROV_ROLES)
    if t is None:
        return rng.choice(
            [
                [f"{x}, contactpersoon {y}"],
                [x, y],
                [f"{x} (contact: {y}, {role})"],
                [f"Aanbieder: {x}", f"Contactpersoon: {y}"],
            ]
        )
    return rng.choice(
        [
            [f"{x} – contactpersoon {y} ({t})"],
            [f"{x}: {y}, {t}"],
            [f"{x} (contact: {y}, {role}, bereikbaar ma-wo op {t})"],
            [x, y, t],
            [f"Aanbieder: {x}", f"Contactpersoon: {y}", f"Tel: {t}"],
            [f"{x}, t.a.v. {y}, tel. {t}"],
            [f"{x} / {y} / {t}"],
            [x, f"{y} ({role}) – {t}"],
        ]
    )


def say_type(type_hulp: str, code: str, rng: random.Random, with_yes: bool) -> Answer:
    yes = rng.choice(["Ja", "ja", "Ja.", "JA", "Yes"])
    if with_yes:
        return rng.choice(
            [
                [f"{yes}, {type_hulp} ({code})"],
                [f"{yes.rstrip('.')} – {type_hulp}, productcode {code}"],
                [yes, f"{type_hulp}, code {code}"],
                [yes, f"Type hulp: {type_hulp}", f"Productcode: {code}"],
                [f"{yes.rstrip('.')}: {type_hulp} – {code}"],
                [f"{yes.rstrip('.')}, {type_hulp} (productcode {code})"],
                [_checkboxes(["Ja", "Nee"], 0, rng), f"{type_hulp}, {code}"],
            ]
        )
    return rng.choice(
        [
            [f"{type_hulp} ({code})"],
            [f"{type_hulp}, productcode {code}"],
            [f"{type_hulp} – {code}"],
            [type_hulp, f"code: {code}"],
            [f"{code} {type_hulp}"],
        ]
    )


NEE_NVT = ["Nee", "n.v.t.", "", "nee.", "-", "nvt", "Niet van toepassing"]


def say_pgb_combined(
    verkend: bool | None, arg: str | None, rng: random.Random
) -> Answer:
    if verkend is None:
        return [
            rng.choice(
                [
                    "n.v.t. (gedwongen kader)",
                    "nvt",
                    "",
                    "-",
                    "Niet van toepassing",
                    "n.v.t.",
                ]
            )
        ]
    if verkend:
        return rng.choice(
            [
                [f"Ja, verkend. {arg}"],
                ["ja", f"argumenten: {arg}"],
                [f"Ja – {arg}"],
                ["Verkend: ja", f"Waarom niet: {arg}"],
                ["Ja, besproken met ouders.", arg],
                [f"Ja; {arg}"],
                [_checkboxes(["Ja", "Nee"], 0, rng), arg],
            ]
        )
    return rng.choice(
        [
            [f"Nee, niet verkend. {arg}"],
            ["nee", f"reden: {arg}"],
            [f"Nee – {arg}"],
            ["Nee.", arg],
        ]
    )


def say_kader(kader: str, rng: random.Random) -> Answer:
    if rng.random() < 0.15:
        return [
            _checkboxes(
                ["vrijwillig", "gedwongen"], 0 if kader == "vrijwillig" else 1, rng
            )
        ]
    if kader == "vrijwillig":
        return [
            rng.choice(
                [
                    "Vrijwillig",
                    "vrijwillig kader",
                    "Vrijwillig (ouders stemmen in)",
                    "vrijwillig",
                    "Vrijwillig kader, ouders werken mee",
                    "voluntary / vrijwillig",
                ]
            )
        ]
    return [
        rng.choice(
            [
                "Gedwongen",
                "gedwongen kader",
                "Gedwongen kader (GI betrokken)",
                "Gedwongen – zie maatregel hieronder",
                "gedwongen",
                "Gedwongen kader.",
            ]
        )
    ]


def say_maatregel(m: str | None, rng: random.Random) -> Answer:
    if m is None:
        return [
            rng.choice(
                [
                    "n.v.t.",
                    "",
                    "nvt",
                    "Nee",
                    "n.v.t. – vrijwillig kader",
                    "-",
                    "geen maatregel",
                ]
            )
        ]
    if rng.random() < 0.15:
        return [_struck(["JB", "JR"], 0 if m == "JB" else 1)]
    if m == "JB":
        return [
            rng.choice(
                [
                    "JB",
                    "JB-maatregel",
                    "jeugdbescherming (OTS)",
                    "OTS (JB)",
                    "Jeugdbescherming",
                    "JB (ondertoezichtstelling)",
                    "Er is sprake van een JB maatregel",
                ]
            )
        ]
    return [
        rng.choice(
            [
                "JR",
                "JR-maatregel",
                "jeugdreclassering",
                "Jeugdreclassering (JR)",
                "JR, via de GI",
                "Er loopt een JR maatregel",
            ]
        )
    ]


# --------------------------------------------------------------------------------------------
# questions: several plausible wordings per question, optional printed guidance
# --------------------------------------------------------------------------------------------

Q = {
    "spoed": [
        "Is er haast bij deze aanvraag?",
        "Spoed (ja/nee)",
        "Is dit een spoedaanvraag?",
        "Urgent? (spoed)",
        "Moet er binnen 2 werkdagen besloten worden?",
        "Spoedeisend?",
    ],
    "gemeente": [
        "Gemeente van de jeugdige",
        "Woongemeente cliënt",
        "Voor welke gemeente is deze aanvraag?",
        "Municipality / gemeente",
        "Gemeente (woonplaats jeugdige)",
        "Betreft gemeente",
    ],
    "zorgned": [
        "ZorgNed-registratienummer",
        "Cliëntnummer in ZorgNed",
        "Registratienr. ZorgNed (geen BSN)",
        "Nummer cliënt in ZorgNed",
        "Client ID (ZorgNed)",
    ],
    "leeftijd": [
        "Leeftijd jeugdige (jaren)",
        "Hoe oud is de jeugdige?",
        "Leeftijd",
        "Age of client (leeftijd)",
        "Leeftijd van de jongere",
    ],
    "contact": [
        "Contactgegevens aanvrager",
        "Aanvrager (naam, telefoon, e-mail)",
        "Bij wie kunnen we terecht met vragen?",
        "Contact person / contactpersoon",
        "Gegevens verwijzer",
        "Wie is de aanvrager en hoe is die bereikbaar?",
    ],
    "contact.naam": ["Naam aanvrager", "Naam verwijzer / consulent", "Ingevuld door"],
    "contact.tel": [
        "Telefoonnummer aanvrager",
        "Tel. verwijzer",
        "Bereikbaar op (telefoon)",
    ],
    "contact.mail": ["E-mailadres aanvrager", "Mail verwijzer", "E-mail"],
    "jeugdwet": [
        "Valt de hulp onder de Jeugdwet? (gecheckt)",
        "Is gecontroleerd dat dit Jeugdwet-hulp is?",
        "Jeugdwet van toepassing? (gecontroleerd)",
        "Check Jeugdwet gedaan?",
        "Heeft u nagegaan of de hulp onder de Jeugdwet valt?",
    ],
    "ambulant": [
        "Ambulante hulp? Zo ja: welke hulp en productcode",
        "Is de hulp ambulant? (type + productcode)",
        "Ambulant (welke hulp, welke code)",
        "Betreft het ambulante jeugdhulp? Welke?",
    ],
    "verblijf": [
        "Hulp met verblijf? Zo ja: welke hulp en productcode",
        "Is er verblijf nodig? (type + productcode)",
        "Verblijf (welke hulp, welke code)",
        "Betreft het jeugdhulp met verblijf? Welke?",
    ],
    "vorm": [
        "Vorm van de hulp (ambulant / verblijf)",
        "Ambulant of verblijf?",
        "Soort jeugdhulp",
        "Hulpvorm",
    ],
    "typecode": [
        "Welke hulp en welke productcode?",
        "Type hulp + productcode",
        "Benodigde hulp (met productcode)",
        "Care type & product code",
    ],
    "type": ["Welke hulp is nodig?", "Omschrijving hulp", "Soort hulp"],
    "code": ["Productcode", "Productcode (regionaal)", "Code product"],
    "verblijfsvorm": [
        "Bij verblijf: welke vorm? (pleegzorg, gezinshuis, instelling ...)",
        "Vorm van verblijf",
        "Type verblijf",
        "Verblijf: pleeggezin / gezinshuis / ouder-kindhuis / instelling",
    ],
    "kader": [
        "Kader: vrijwillig of gedwongen?",
        "Vrijwillig kader of gedwongen kader?",
        "In welk kader?",
        "Juridisch kader",
        "Framework (vrijwillig/gedwongen)",
    ],
    "pgb": [
        "Alleen bij vrijwillig kader: is PGB besproken? Waarom is dat geen optie?",
        "PGB overwogen? Zo ja, waarom niet gekozen?",
        "Persoonsgebonden budget: verkend en waarom niet?",
        "Is er naar een PGB gekeken (en waarom valt het af)?",
    ],
    "pgb.verkend": [
        "PGB overwogen?",
        "Is er gekeken naar een PGB?",
        "PGB besproken met ouders?",
    ],
    "pgb.args": [
        "Waarom valt PGB af?",
        "Reden waarom PGB geen optie is",
        "Toelichting PGB",
    ],
    "maatregel": [
        "Bij gedwongen kader: welke maatregel (JB/JR)?",
        "Maatregel",
        "Soort maatregel (JB of JR)",
        "Jeugdbescherming of jeugdreclassering?",
        "Type measure (JB/JR)",
    ],
    "reden": [
        "Waarom niet via een gecontracteerde aanbieder?",
        "Onderbouwing keuze niet-gecontracteerde aanbieder",
        "Motivatie (waarom geen aanbieder uit het contract)",
        "Reden voor maatwerk",
        "Argumenten om af te wijken van de gecontracteerde aanbieders",
    ],
    "aanbieder": [
        "Voorgestelde zorgaanbieder + contactpersoon (met telefoonnummer)",
        "Welke aanbieder? Contactpersoon?",
        "Gegevens beoogde aanbieder",
        "Provider and contact person (aanbieder)",
        "Naar welke aanbieder gaat de voorkeur? Wie is daar het aanspreekpunt?",
    ],
    "aanbieder.naam": ["Naam zorgaanbieder", "Beoogde aanbieder", "Aanbieder (naam)"],
    "aanbieder.cp": [
        "Aanspreekpunt bij de aanbieder",
        "Contactpersoon bij aanbieder",
        "Naam contact aanbieder",
    ],
    "aanbieder.tel": [
        "Telefoon aanbieder",
        "Tel.nr. contactpersoon aanbieder",
        "Telefoonnummer zorgaanbieder",
    ],
    "kvk": [
        "KvK-nr. aanbieder",
        "Inschrijving Kamer van Koophandel",
        "KvK (8 cijfers)",
        "Chamber of Commerce (KvK)",
    ],
    "agb": ["AGB-code zorgaanbieder", "AGB (Vektis)", "AGB-nummer aanbieder"],
    "iban": [
        "Bankrekening (IBAN)",
        "Rekeningnummer aanbieder",
        "IBAN waarop gefactureerd wordt",
    ],
    "ids": [
        "KvK / AGB / IBAN van de aanbieder",
        "Registratie aanbieder (KvK, AGB, IBAN)",
        "Administratieve gegevens aanbieder",
        "Nummers aanbieder (KvK, AGB-code, bankrekening)",
    ],
    "kwaliteit": [
        "Wat weet je over de kwaliteit van de aanbieder?",
        "Kwaliteit (SKJ/BIG, VOG, klachtenregeling)",
        "Hoe is de kwaliteit van de aanbieder getoetst?",
        "Quality check aanbieder",
    ],
    "periode": [
        "Periode van de hulp",
        "Looptijd (van – tot)",
        "Gewenste periode",
        "Van wanneer tot wanneer?",
        "Duur van de inzet (begin- en einddatum)",
    ],
    "start": ["Startdatum hulp", "Ingangsdatum", "Per wanneer?"],
    "eind": ["Einddatum (verwacht)", "Tot en met", "Einddatum hulp"],
    "inzet": [
        "Hoeveel hulp? (uren/dagdelen/etmalen)",
        "Intensiteit",
        "Frequentie / omvang",
        "Aantal uren of dagdelen",
        "Omvang hulp (bijv. uren per week)",
    ],
    "tarief": [
        "Tarief (bedrag + eenheid)",
        "Voorgesteld bedrag",
        "Kosten: tarief per eenheid",
        "Prijs",
        "Rate (tarief per uur/dagdeel/etmaal)",
        "Wat kost het?",
    ],
    "advies_ba": [
        "Advies beleidsmedewerker gemeente (niet invullen)",
        "Beoordeling beleidsadviseur",
    ],
    "advies_icm": ["Beoordeling ICM (niet invullen)", "Advies inkoop"],
}
GUIDANCE = {
    "spoed": ["Spoed betekent: binnen 2 werkdagen duidelijkheid nodig."],
    "gemeente": ["Vul de gemeente in waar de jeugdige woont."],
    "zorgned": ["Let op: geen BSN invullen!"],
    "contact": ["Naam, telefoonnummer en e-mailadres."],
    "jeugdwet": ["Twijfel je? Overleg met een gedragswetenschapper."],
    "verblijfsvorm": ["Verblijf loopt via de regionale verblijfsroute."],
    "kader": [
        "In vrijwillig kader is PGB de aangewezen weg als ouders geen gecontracteerde"
        " aanbieder willen."
    ],
    "pgb": ["Alleen invullen bij vrijwillig kader."],
    "maatregel": ["Alleen invullen bij gedwongen kader."],
    "reden": [
        "Geef concreet aan waarom geen enkele gecontracteerde aanbieder passend is."
    ],
    "aanbieder": ["Vermeld ook een telefoonnummer."],
    "ids": ["Zonder AGB-code en IBAN kan er geen contract worden gemaakt."],
    "kwaliteit": ["Denk aan SKJ/BIG-registratie, VOG, klachtenregeling en meldcode."],
    "periode": ["Maximaal 12 maanden. Denk aan de overgang naar 18+."],
    "tarief": ["Zie de productenwaaier voor de regionale tarieven."],
    "inzet": ["Aantal uren, dagdelen of etmalen per week of per maand."],
}
INTROS = [
    [
        "Aanvraagformulier maatwerkovereenkomst jeugdhulp",
        (
            "Gebruik dit formulier als u jeugdhulp wilt inzetten bij een aanbieder"
            " zonder contract met de regio."
        ),
    ],
    [
        "Verzoek eenmalig lokaal contract",
        "Vul alle vragen in. Onvolledige aanvragen worden teruggestuurd.",
        "Stuur het formulier naar de beleidsadviseur van je gemeente en naar inkoop.",
    ],
    ["AANVRAAG MAATWERK – JEUGD", "Versie 2026-2"],
    [
        "Formulier niet-gecontracteerde jeugdhulp (maatwerk)",
        (
            "Let op: een maatwerkovereenkomst is een uitzondering. Onderbouw je"
            " aanvraag goed."
        ),
    ],
]
SECTIONS = {
    1: [
        "Deel 1 – jeugdige en hulp",
        "A. Gegevens aanvraag",
        "Cliënt & hulpvraag",
        "Deel 1",
    ],
    2: ["Deel 2 – aanbieder", "B. Aanbieder en kosten", "Zorgaanbieder", "Deel 2"],
    3: ["Intern (gemeente / ICM)", "C. Beoordeling", "Alleen voor intern gebruik"],
}


def _item(
    kind: str,
    answer: Answer,
    rng: random.Random,
    style: dict,
    guidance_key: str | None = None,
) -> dict:
    g = None
    key = guidance_key or kind
    if style["guidance"] and key in GUIDANCE and rng.random() < 0.5:
        g = rng.choice(GUIDANCE[key])
    return {"kind": kind, "q": rng.choice(Q[kind]), "a": answer, "g": g}


def build_items(rec: dict, rng: random.Random, style: dict) -> list:
    """The form's rows in order: dicts {q, a, g} and ('section', n) markers."""
    it: list = [("section", 1)]
    add = it.append
    add(_item("spoed", say_bool(rec["spoed"], "spoed", rng), rng, style))
    add(_item("gemeente", say_gemeente(rec["gemeente"], rng), rng, style))
    add(_item("zorgned", say_number_id(rec["zorgned_nummer"], rng), rng, style))
    add(_item("leeftijd", say_leeftijd(rec["leeftijd"], rng), rng, style))
    c = rec["contactpersoon"]
    if style["contact"] == "rows":
        add(_item("contact.naam", [c["naam"]], rng, style))
        add(_item("contact.tel", [say_phone(c["telefoon"], rng)], rng, style))
        add(_item("contact.mail", [c["email"] or ""], rng, style))
    else:
        add(_item("contact", say_contact(c, rng), rng, style))
    add(
        _item(
            "jeugdwet", say_bool(rec["jeugdwet_gecheckt"], "jeugdwet", rng), rng, style
        )
    )
    amb = rec["hulpvorm"] == "ambulant"
    if style["hulp"] == "two_rows":
        no = lambda: [rng.choice(NEE_NVT)]  # noqa: E731
        add(
            _item(
                "ambulant",
                (
                    say_type(rec["type_hulp"], rec["productcode"], rng, True)
                    if amb
                    else no()
                ),
                rng,
                style,
            )
        )
        add(
            _item(
                "verblijf",
                (
                    no()
                    if amb
                    else say_type(rec["type_hulp"], rec["productcode"], rng, True)
                ),
                rng,
                style,
            )
        )
    else:
        vorm = (
            rng.choice(
                [
                    "Ambulant",
                    "ambulante hulp",
                    "ambulant",
                    _checkboxes(["ambulant", "verblijf"], 0, rng),
                ]
            )
            if amb
            else rng.choice(
                [
                    "Verblijf",
                    "Jeugdhulp met verblijf",
                    "met verblijf",
                    _checkboxes(["ambulant", "verblijf"], 1, rng),
                ]
            )
        )
        add(_item("vorm", [vorm], rng, style))
        if style["hulp"] == "vorm_typecode":
            add(
                _item(
                    "typecode",
                    say_type(rec["type_hulp"], rec["productcode"], rng, False),
                    rng,
                    style,
                )
            )
        else:
            add(_item("type", [rec["type_hulp"]], rng, style))
            add(_item("code", [rec["productcode"]], rng, style))
    add(
        _item(
            "verblijfsvorm",
            [rec["verblijfsvorm"]] if rec["verblijfsvorm"] else [rng.choice(NEE_NVT)],
            rng,
            style,
        )
    )
    add(_item("kader", say_kader(rec["kader"], rng), rng, style))
    if style["pgb"] == "rows":
        v, arg = rec["pgb_verkend"], rec["pgb_argumenten"]
        add(
            _item(
                "pgb.verkend",
                (
                    say_bool(v, "pgb", rng)
                    if v is not None
                    else [rng.choice(["n.v.t.", "", "nvt"])]
                ),
                rng,
                style,
                "pgb",
            )
        )
        add(
            _item(
                "pgb.args",
                [arg] if arg else [rng.choice(["n.v.t.", "", "-"])],
                rng,
                style,
                "pgb",
            )
        )
    else:
        add(
            _item(
                "pgb",
                say_pgb_combined(rec["pgb_verkend"], rec["pgb_argumenten"], rng),
                rng,
                style,
            )
        )
    add(_item("maatregel", say_maatregel(rec["maatregel"], rng), rng, style))
    if style["split_at"] == "reden":
        add(("section", 2))
    add(_item("reden", [rec["reden_niet_gecontracteerd"]], rng, style))
    if style["split_at"] == "aanbieder":
        add(("section", 2))
    a = rec["aanbieder"]
    if style["provider"] == "rows":
        add(_item("aanbieder.naam", [a["naam"]], rng, style))
        add(_item("aanbieder.cp", [a["contactpersoon"]], rng, style))
        add(
            _item(
                "aanbieder.tel",
                [say_phone(a["telefoon"], rng) if a["telefoon"] else ""],
                rng,
                style,
            )
        )
        prov = None
    else:
        prov = _item("aanbieder", say_provider(a, rng), rng, style)
        add(prov)
    if style["ids"] == "rows":
        ids = say_ids(a, rng)
        add(_item("kvk", [ids["kvk"]], rng, style, "ids"))
        add(_item("agb", [ids["agb"]], rng, style, "ids"))
        add(_item("iban", [ids["iban"]], rng, style, "ids"))
    elif style["ids"] == "combined":
        add(_item("ids", say_ids_combined(a, rng), rng, style))
    elif prov is None:  # provider in rows: no answer to write the ids under
        add(_item("ids", say_ids_combined(a, rng), rng, style))
    else:  # inline, under the provider's answer
        prov["a"] = prov["a"] + say_ids_combined(a, rng)
    add(_item("kwaliteit", [rec["kwaliteit_onderbouwing"]], rng, style))
    s, e = date.fromisoformat(rec["startdatum"]), date.fromisoformat(rec["einddatum"])
    inzet_txt = say_inzet(rec["inzet"], rng) if rec["inzet"] else None
    where = style["inzet"] if rec["inzet"] else "none"
    if style["periode"] == "rows":
        st = rng.choice(DATE_STYLES)
        add(_item("start", [say_date(s, st)], rng, style, "periode"))
        add(_item("eind", [say_date(e, st)], rng, style, "periode"))
        if where == "periode":
            where = "row"
    else:
        per = say_period(s, e, rng)
        if where == "periode":
            per = rng.choice(
                [
                    per[:-1] + [f"{per[-1]}, {inzet_txt}"],
                    per + [inzet_txt],
                    per[:-1] + [f"{per[-1]} ({inzet_txt})"],
                ]
            )
        add(_item("periode", per, rng, style))
    if where == "row":
        add(_item("inzet", [inzet_txt], rng, style))
    tar = say_tarief(rec["tarief"], rng)
    if where == "tarief":
        tar_a = rng.choice(
            [
                [f"{tar}, {inzet_txt}"],
                [tar, inzet_txt],
                [f"{tar} ({inzet_txt})"],
                [f"{inzet_txt} à {tar}"],
            ]
        )
    else:
        tar_a = [tar]
    add(_item("tarief", tar_a, rng, style))
    if style["advice"]:
        add(("section", 3))
        for k in ("advies_ba", "advies_icm"):
            add(
                {
                    "kind": k,
                    "q": rng.choice(Q[k]),
                    "a": [""],
                    "g": rng.choice([None, "In te vullen door de gemeente / ICM."]),
                }
            )
    return it


# --------------------------------------------------------------------------------------------
# layout: items → Word document
# --------------------------------------------------------------------------------------------

LAYOUTS = ["table", "split", "paragraphs", "onecol"]


def random_style(rng: random.Random) -> dict:
    layout = rng.choice(LAYOUTS)
    return {
        "layout": layout,
        "numbering": rng.choice(
            [None, None, "{n}.", "{n})", "Vraag {n}:", "{n}. ", "V{n} –"]
        ),
        "number_column": layout == "table" and rng.random() < 0.2,
        "header_row": layout in ("table", "split") and rng.random() < 0.3,
        "intro": rng.random() < 0.6,
        "guidance": rng.random() < 0.5,
        "guidance_in_question": rng.random() < 0.3,
        "soft_breaks": rng.random() < 0.25,
        "sections": layout == "split" or rng.random() < 0.3,
        "split_at": rng.choice(["reden", "aanbieder"]),
        "contact": "rows" if rng.random() < 0.2 else "combined",
        "provider": "rows" if rng.random() < 0.2 else "combined",
        "hulp": rng.choice(["two_rows", "two_rows", "vorm_typecode", "vorm_type_code"]),
        "pgb": "rows" if rng.random() < 0.3 else "combined",
        "ids": rng.choice(["rows", "combined", "inline"]),
        "inzet": rng.choice(["row", "row", "tarief", "periode"]),
        "periode": "rows" if rng.random() < 0.2 else "one",
        "advice": rng.random() < 0.5,
    }


def _runs(par, content, bold=False, italic=False, size=None) -> None:
    runs = [(content, {})] if isinstance(content, str) else content
    for text, fmt in runs:
        r = par.add_run(text)
        r.bold = bold or None
        r.italic = italic or None
        if fmt.get("strike"):
            r.font.strike = True
        if size:
            r.font.size = Pt(size)


def _answer_into(container, answer: Answer, soft: bool, first_par=None) -> None:
    """Answer paragraphs into a cell or the document; `first_par` an empty paragraph to
    use first."""
    pars = answer or [""]
    if soft and len(pars) > 1 and all(isinstance(p, str) for p in pars):
        p = first_par if first_par is not None else container.add_paragraph()
        for i, line in enumerate(pars):
            if i:
                p.add_run().add_break(WD_BREAK.LINE)
            p.add_run(line)
        return
    for i, content in enumerate(pars):
        p = (
            first_par
            if (i == 0 and first_par is not None)
            else container.add_paragraph()
        )
        _runs(p, content)


def _shade(cell, fill="D9E2F3") -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcPr.append(shd)


def render(items: list, rng: random.Random, style: dict) -> bytes:
    doc = Document()
    doc.styles["Normal"].font.name = rng.choice(["Calibri", "Arial", "Verdana"])
    doc.styles["Normal"].font.size = Pt(rng.choice([10, 10.5, 11]))
    if style["intro"]:
        intro = rng.choice(INTROS)
        _runs(doc.add_paragraph(), intro[0], bold=True, size=14)
        for line in intro[1:]:
            doc.add_paragraph(line)
    section_names = {n: rng.choice(v) for n, v in SECTIONS.items()}
    n = 0
    numbered: list = []
    for item in items:
        if isinstance(item, dict):
            n += 1
            q = item["q"]
            if style["numbering"] and not style["number_column"]:
                q = style["numbering"].format(n=n).rstrip() + " " + q
            numbered.append(dict(item, q=q, n=n))
        else:
            numbered.append(item)
    layout = style["layout"]
    soft = style["soft_breaks"]

    def question_into(cell_or_doc, item, first_par=None):
        p = first_par if first_par is not None else cell_or_doc.add_paragraph()
        _runs(p, item["q"], bold=layout != "table" or rng.random() < 0.5)
        if item["g"] and style["guidance_in_question"]:
            _runs(cell_or_doc.add_paragraph(), f"({item['g']})", italic=True, size=8)

    def answer_into(cell_or_doc, item, first_par=None):
        if item["g"] and not style["guidance_in_question"]:
            p = first_par if first_par is not None else cell_or_doc.add_paragraph()
            _runs(p, item["g"], italic=True)
            first_par = None
        _answer_into(cell_or_doc, item["a"], soft, first_par)

    if layout == "paragraphs":
        for item in numbered:
            if isinstance(item, tuple):
                if style["sections"]:
                    h = doc.add_paragraph()
                    _runs(h, section_names[item[1]], bold=True, size=13)
                continue
            question_into(doc, item)
            answer_into(doc, item)
            if rng.random() < 0.3:
                doc.add_paragraph("")
        return _save(doc)

    if layout == "onecol":
        table = doc.add_table(rows=0, cols=1)
        table.style = "Table Grid"
        for item in numbered:
            if isinstance(item, tuple):
                if style["sections"]:
                    cell = table.add_row().cells[0]
                    _runs(cell.paragraphs[0], section_names[item[1]].upper(), bold=True)
                    _shade(cell, "BFBFBF")
                continue
            qcell = table.add_row().cells[0]
            question_into(qcell, item, qcell.paragraphs[0])
            _shade(qcell)
            acell = table.add_row().cells[0]
            answer_into(acell, item, acell.paragraphs[0])
        return _save(doc)

    # table / split
    cols = 3 if style["number_column"] else 2

    def new_table(header: str | None):
        t = doc.add_table(rows=0, cols=cols)
        t.style = "Table Grid"
        if header:
            row = t.add_row()
            cell = row.cells[0].merge(row.cells[-1])
            _runs(cell.paragraphs[0], header, bold=True)
            _shade(cell, "BFBFBF")
        if style["header_row"]:
            row = t.add_row().cells
            heads = rng.choice(
                [
                    ["Vraag", "Antwoord"],
                    ["Onderdeel", "In te vullen door aanvrager"],
                    ["Vraag", "Toelichting"],
                ]
            )
            if cols == 3:
                heads = ["Nr."] + heads
            for c, h in zip(row, heads):
                _runs(c.paragraphs[0], h, bold=True)
        return t

    table = new_table(
        section_names[1] if layout == "split" and rng.random() < 0.5 else None
    )
    for item in numbered:
        if isinstance(item, tuple):
            if item[1] == 1:
                continue
            if layout == "split" or item[1] == 3 and rng.random() < 0.5:
                gap = doc.add_paragraph("")
                if item[1] == 3 and rng.random() < 0.5:
                    gap.add_run("Onderstaande wordt ingevuld door de gemeente en ICM.")
                table = new_table(section_names[item[1]])
            elif style["sections"]:
                row = table.add_row()
                cell = row.cells[0].merge(row.cells[-1])
                _runs(cell.paragraphs[0], section_names[item[1]], bold=True)
                _shade(cell, "BFBFBF")
            continue
        cells = table.add_row().cells
        if cols == 3:
            cells[0].paragraphs[0].add_run(f"{item['n']}")
            cells[0].width = Cm(1)
        question_into(cells[-2], item, cells[-2].paragraphs[0])
        answer_into(cells[-1], item, cells[-1].paragraphs[0])
    return _save(doc)


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_form_styled(
    record: dict, rng: random.Random, style: dict | None = None
) -> tuple[bytes, dict]:
    style = style or random_style(rng)
    items = build_items(copy.deepcopy(record), rng, style)
    return render(items, rng, style), style


def write_form(record: dict, rng: random.Random) -> bytes:
    """A legacy-style Word form for `record`, in a writing style chosen with `rng`."""
    return write_form_styled(record, rng)[0]


def describe(style: dict, record: dict) -> str:
    """INDEX.csv notes for a form (same legend as the corpus, plus the choices of this
    generator)."""
    parts = [
        f"layout={style['layout']}",
        f"ids={style['ids']}",
        f"inzet={style['inzet'] if record['inzet'] else 'none'}",
        f"hints={'kept' if style['guidance'] else 'removed'}",
        f"advice_rows={'yes' if style['advice'] else 'no'}",
        (
            f"numbering={'col' if style['number_column'] else (style['numbering'] or 'none').strip()}"
        ),
        f"contact={style['contact']}",
        f"provider={style['provider']}",
        f"hulp={style['hulp']}",
        f"pgb={style['pgb']}",
        f"periode={style['periode']}",
        f"intro={'yes' if style['intro'] else 'no'}",
        f"soft_breaks={'yes' if style['soft_breaks'] else 'no'}",
    ]
    return "; ".join(parts)


def write_set(folder: Path, n: int, seed: int, pdf: int = 0) -> list[Path]:
    """`n` forms u001.docx … with u001.json next to each and an INDEX.csv (all valid);
    the first `pdf` of every n//pdf forms also saved as PDF by LibreOffice (u001.pdf,
    same JSON) instead of .docx.
    """
    import csv
    import json
    import shutil
    import subprocess
    import tempfile

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    step = max(1, n // pdf) if pdf else 0
    rows, paths = [], []
    for i in range(1, n + 1):
        record = random_record(rng)
        content, style = write_form_styled(record, rng)
        name = f"u{i:03d}"
        (folder / f"{name}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        as_pdf = (
            bool(step)
            and (i - 1) % step == 0
            and sum(r[1] == "legacy-pdf" for r in rows) < pdf
        )
        if as_pdf:
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / f"{name}.docx"
                src.write_bytes(content)
                subprocess.run(
                    [
                        "soffice",
                        "--headless",
                        f"-env:UserInstallation=file://{tmp}/lo",
                        "--convert-to",
                        "pdf",
                        "--outdir",
                        tmp,
                        str(src),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=180,
                )
                shutil.copy(Path(tmp) / f"{name}.pdf", folder / f"{name}.pdf")
            path, kind = folder / f"{name}.pdf", "legacy-pdf"
        else:
            path, kind = folder / f"{name}.docx", f"legacy-docx/{style['layout']}"
            path.write_bytes(content)
        paths.append(path)
        rows.append(
            (
                path.name,
                kind,
                describe(style, record)
                + "; generator=tests/formgen.py; validation: none",
            )
        )
    with (folder / "INDEX.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "kind", "notes"])
        w.writerows(rows)
    return paths


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(
        description="Write a set of unseen legacy forms with their expected JSON."
    )
    ap.add_argument("folder", type=Path)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20270101)
    ap.add_argument(
        "--pdf", type=int, default=10, help="how many of them as Word-saved PDF"
    )
    args = ap.parse_args()
    for path in write_set(args.folder, args.n, args.seed, args.pdf):
        print(path)
