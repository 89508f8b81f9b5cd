"""The record layer: question/answer cells → the canonical record, a confidence per
field and the `meldingen` that name every doubtful field by its question on the form.

A value is either read with certainty (confidence 1.0: one clear reading) or not: then
it is kept with a `waarschuwing` naming the question, or left empty with one. `validate`
raises a blocking finding only on values read with certainty (`Extraction.confidence`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.errors import UnreadableForm
from pipeline.fields import ADVISERS, SPELLED
from pipeline.models import Aanvraag, Advies, Extraction, Melding
from pipeline.readers import answers as nz
from pipeline.readers.cells import Cell, Reading
from pipeline.region.profile import Mappings

MIN_QUESTIONS_FOR_A_FORM = 6
QUESTION_MIN_SCORE = 72.0  # below this a printed text is no question of the form
QUESTION_NEAR_SCORE = (
    55.0  # a text that scores this is probably a question we do not know
)
QUESTION_SURE_SCORE = 85.0  # at or above this the question is recognised with certainty
CERTAIN = 0.85  # a value read with at least this confidence is certain enough to act on
GUESSED = 0.6  # a value taken from an answer that could be read in more than one way
SCAN_NOTICE = (
    "Dit formulier is een scan en met tekstherkenning gelezen; controleer de"
    " overgenomen gegevens met het formulier in de bijlage."
)


@dataclass
class Value:
    """A value read from an answer, how surely, and (when not sure) why, in Dutch."""

    value: Any
    confidence: float = 1.0
    twijfel: str | None = None


Read = dict[str, Value]


def sure(field: str, value: Any) -> Read:
    return {field: Value(value)}


def _doubt(value: Any, why: str, confidence: float = GUESSED) -> Value:
    return Value(value, confidence, why)


# --- readers per question: an answer → canonical fields
# -----------------------------------------


def _read_with(field: str, parse: Callable[[str], Any]) -> Callable[[str], Read]:
    """A one-field answer: a parser that returns None for a non-empty answer means 'not
    readable'."""

    def read(text: str) -> Read:
        value = parse(text)
        if value is None and nz.text(text) is not None and not nz.is_unknown(text):
            return {
                field: _doubt(
                    None, "het antwoord kon niet eenduidig worden gelezen", 0.0
                )
            }
        return sure(field, value)

    return read


def _yes_no_field(field: str) -> Callable[[str], Read]:
    def read(text: str) -> Read:
        value, _ = nz.yes_no_read(text)
        if value is None and nz.clean(text) and not nz.is_unknown(text):
            return {
                field: _doubt(None, "het antwoord is geen duidelijk ja of nee", 0.0)
            }
        return sure(field, value)

    return read


def _read_leeftijd(text: str) -> Read:
    value = nz.integer(re.sub(r"\b(19|20)\d{2}\b", "", text))  # a birth year is no age
    if value is None and nz.clean(text):
        return {
            "leeftijd": _doubt(
                None, "de leeftijd kon niet eenduidig worden gelezen", 0.0
            )
        }
    if value is not None and re.search(
        r"\b(bijna|ongeveer|ca\.?|circa|rond)\b", text, re.I
    ):
        return {"leeftijd": _doubt(value, "de leeftijd is bij benadering opgegeven")}
    return sure("leeftijd", value)


def _read_contact(text: str) -> Read:
    """'Naam: Jan de Vries, tel. 06-…, mail …', 'Mij: Jan / 06-… / jan@…', 'Jan
    (jeugdconsulent) 06-…'."""
    pieces = nz.take_apart(text)
    out: Read = {
        "contactpersoon.telefoon": _one_of(pieces, "phone", "het telefoonnummer"),
        "contactpersoon.email": _one_of(pieces, "email", "het e-mailadres"),
    }
    names = [p for p in pieces if p.kind == "person" and not p.annotation]
    others = [
        p for p in pieces if p.kind in ("text", "organisation") and not p.annotation
    ]
    if len(names) == 1:
        out["contactpersoon.naam"] = Value(names[0].value)
    elif names:
        out["contactpersoon.naam"] = _doubt(
            names[0].value, "er staan meerdere namen in het antwoord"
        )
    elif others:
        out["contactpersoon.naam"] = _doubt(
            others[0].value, "de naam is niet met zekerheid herkend"
        )
    else:
        out["contactpersoon.naam"] = Value(None)
    return out


def _one_of(pieces: list[nz.Piece], kind: str, what: str) -> Value:
    values = list(dict.fromkeys(p.value for p in pieces if p.kind == kind))
    if len(values) > 1:
        return _doubt(None, f"er staat meer dan één {what} in het antwoord", 0.0)
    return Value(values[0] if values else None)


def _read_aanbieder(text: str) -> Read:
    """'Praktijk X B.V. (contact: Jan, 06-…)', 'Aanbieder X, contactpersoon is Jan
    (06-…)', 'X - Jan Jansen (gedragswetenschapper)', 'X\\nJan\\n06-…' and KvK/AGB/IBAN
    on the same lines.
    """
    pieces = nz.take_apart(text)
    out: Read = {"aanbieder.telefoon": _one_of(pieces, "phone", "telefoonnummer")}
    out.update(_ids(pieces))
    words = [
        p
        for p in pieces
        if p.kind in ("organisation", "person", "text") and not p.annotation
    ]
    named = [p for p in pieces if p.kind == "person" and p.label == "contact"]
    orgs = [p for p in words if p.kind == "organisation"]
    naam: nz.Piece | None = (
        orgs[0] if orgs else next((p for p in words if p.label != "contact"), None)
    )
    contact = (
        named[0]
        if named
        else next((p for p in words if p is not naam and p.kind == "person"), None)
    )
    if naam is None:
        out["aanbieder.naam"] = Value(None)
    elif naam.kind == "organisation" or (naam.label == "aanbieder" and len(words) > 1):
        out["aanbieder.naam"] = (
            Value(naam.value)
            if len(orgs) <= 1
            else _doubt(naam.value, "er staan meerdere organisaties in het antwoord")
        )
    else:
        out["aanbieder.naam"] = _doubt(
            naam.value, "de naam van de aanbieder is niet met zekerheid herkend"
        )
    if contact is not None:
        out["aanbieder.contactpersoon"] = (
            Value(contact.value)
            if contact.kind == "person"
            else _doubt(
                contact.value, "de contactpersoon is niet met zekerheid herkend"
            )
        )
    else:
        out["aanbieder.contactpersoon"] = Value(None)
    leftover = [p for p in words if p is not naam and p is not contact]
    if leftover and naam is not None:
        out["aanbieder.naam"] = _doubt(
            out["aanbieder.naam"].value,
            "het antwoord bevat meer dan de naam en de contactpersoon",
        )
    return out


def _read_provider_contact(text: str) -> Read:
    """The provider's contact person, with the phone number written beside the name."""
    contact = _read_contact(text)
    out = {"aanbieder.contactpersoon": contact["contactpersoon.naam"]}
    if contact["contactpersoon.telefoon"].value:
        out["aanbieder.telefoon"] = contact["contactpersoon.telefoon"]
    return out


def _ids(pieces: list[nz.Piece], bare_numbers: bool = True) -> Read:
    """KvK, AGB and IBAN among an answer's pieces; `bare_numbers`: 8-digit numbers
    without their label count too (an answer that gives all the provider's numbers)."""
    out: Read = {}
    for kind, field, what in (
        ("kvk", "aanbieder.kvk", "KvK-nummer"),
        ("agb", "aanbieder.agb_code", "AGB-code"),
        ("iban", "aanbieder.iban", "IBAN"),
    ):
        if any(p.kind == kind for p in pieces):
            out[field] = _one_of(pieces, kind, what)
    bare = [p.value for p in pieces if p.kind == "digits8"] if bare_numbers else []
    if bare and "aanbieder.kvk" not in out and "aanbieder.agb_code" not in out:
        if (
            len(bare) == 2
        ):  # '12345678 / 98123456 / NL…': taken in the form's order, KvK then AGB
            why = (
                "de nummers staan er zonder 'KvK' en 'AGB'; aangenomen in de volgorde"
                " KvK, AGB"
            )
            out["aanbieder.kvk"], out["aanbieder.agb_code"] = (
                _doubt(bare[0], why),
                _doubt(bare[1], why),
            )
        else:
            why = "een nummer zonder 'KvK' of 'AGB' ervoor"
            out["aanbieder.kvk"] = out["aanbieder.agb_code"] = _doubt(None, why, 0.0)
    return out


def _read_ids(text: str) -> Read:
    """KvK, AGB and IBAN in one answer, labelled, on lines or with slashes between them."""
    out = {
        f: Value(None)
        for f in ("aanbieder.kvk", "aanbieder.agb_code", "aanbieder.iban")
    }
    out.update(_ids(nz.take_apart(text)))
    if all(v.value is None for v in out.values()) and nz.text(text):
        return {
            f: _doubt(
                None,
                "de nummers zijn niet herkend (schrijf 'KvK', 'AGB' en 'IBAN' ervoor)",
                0.0,
            )
            for f in out
        }
    return out


def _read_number_row(
    field: str, labelled: Callable[[str], str | None]
) -> Callable[[str], Read]:
    """A row that asks for one 8-digit number (KvK or AGB); other numbers written in it
    with their label ('KvK 1234 5678, AGB 98-123456') are taken too."""

    def read(text: str) -> Read:
        others = {
            k: v
            for k, v in _ids(nz.take_apart(text), bare_numbers=False).items()
            if k != field
        }
        value = labelled(text)
        if value is None and not others:
            value = nz.eight_digits(text)
        if value is None and nz.text(text) and not others:
            digits = nz.digits(text)
            return {
                field: _doubt(
                    digits, "het nummer heeft niet 8 cijfers", 1.0 if digits else 0.0
                )
            }
        return others | sure(field, value)

    return read


def _read_iban_row(text: str) -> Read:
    others = {
        k: v
        for k, v in _ids(nz.take_apart(text), bare_numbers=False).items()
        if k != "aanbieder.iban"
    }
    return others | _read_with("aanbieder.iban", nz.iban_text)(text)


def _type_and_code(text: str) -> tuple[str | None, str | None]:
    code = nz.productcode(text)
    t = nz.PRODUCTCODE.sub("", text)
    t = re.sub(
        r"\b(regionale\s+)?(product\s*code|productcode|prod\.?\s*code|code)\b\s*:?",
        "",
        t,
        flags=re.I,
    )
    t = re.sub(r"\(\s*\)", "", t)
    t = re.sub(
        r"^\W*(type\s+hulp|soort\s+hulp|hulpvorm|soort|type)\s*:\s*",
        "",
        t.strip(),
        flags=re.I,
    )
    t = re.sub(r"^\W*(namelijk|nl\.|te weten|en wel)\s+", "", t.strip(), flags=re.I)
    t = re.sub(r"\s+", " ", t.replace("\n", " ")).strip(" -–—,.:;/")
    t = re.sub(r"\s*\($", "", t).strip(
        " -–—,.:;/"
    )  # a bracket left open by the code taken out
    if t.count("(") < t.count(")") and t.endswith(")"):
        t = t[:-1].strip(" -–—,.:;/")
    return (t or None), code


ONLY_HULPVORM = re.compile(
    r"^\W*(ambulant(e)?(\s+(jeugd)?hulp)?|(jeugdhulp\s+)?met\s+verblijf|verblijf)\W*$",
    re.I,
)


def _read_type(text: str) -> Read:
    """'Behandeling ASS (45A24)', '45A12 Ambulante begeleiding'; an answer that only
    names the hulpvorm ('ambulante hulp') answers that instead."""
    if ONLY_HULPVORM.match(text):
        return {"hulpvorm": Value(_hulpvorm(text))}
    yes, rest = nz.yes_no_read(text)
    if (
        yes is not None
    ):  # 'Ja, Pleegzorg': the yes answers a question about the hulpvorm
        text = rest
    out: Read = {}
    lead = re.match(
        r"^\W*(ambulant(e)?(\s+(jeugd)?hulp)?|((jeugd)?hulp\s+)?met\s+verblijf)\b([\s]*[:,;.–-]\s*|\s+)",
        text,
        re.I,
    )
    rest_of = text[lead.end() :] if lead else ""
    # 'ambulant: Begeleiding', 'met verblijf Ouder-kindhuis' name the hulpvorm first;
    # 'Ambulante gezinsbehandeling' is a type of care whose name starts with it
    if lead and (
        lead.group(7).strip() or (lead.group(1)[0].islower() and rest_of[:1].isupper())
    ):
        out["hulpvorm"] = Value(_hulpvorm(lead.group()))
        text = text[lead.end() :]
    type_hulp, code = _type_and_code(text)
    out.update(sure("type_hulp", type_hulp))
    if code:
        out["productcode"] = Value(code)
    return out


_NEGATIVE = re.compile(r"^\W*(nee|niet|geen|n\.?v\.?t|no)\b", re.I)


def _read_hulp(kind: str) -> Callable[[str], Read]:
    """'Ja, Behandeling ASS (45A24)', 'Ja.\\nSpecialistische begeleiding, 45A53', 'nee'."""

    def read(text: str) -> Read:
        yes, rest = nz.yes_no_read(text)
        if yes is None and not _NEGATIVE.match(
            text
        ):  # naming the care answers yes: 'Gezinsbehandeling, 45A60'
            type_found, code_found = _type_and_code(text)
            if type_found and (code_found or len(type_found.split()) <= 6):
                yes, rest = True, text
        type_hulp, code = _type_and_code(rest) if rest.strip() else (None, None)
        if yes is None:
            return {
                f"_{kind}": _doubt(
                    None, "het antwoord is geen duidelijk ja of nee", 0.0
                )
            }
        return {
            f"_{kind}": Value(yes),
            f"_{kind}.type_hulp": Value(type_hulp),
            f"_{kind}.productcode": Value(code),
        }

    return read


def _kader(text: str) -> str | None:
    box, _ = nz.ticked(text, ("vrijwillig", "gedwongen"))
    if box:
        return box
    t = re.sub(r"\bgeen\s+(maatregel|jb|jr)\b", "", text.lower())
    v = "vrijwillig" in t
    g = "gedwongen" in t or bool(
        re.search(
            r"\b(ots|ondertoezichtstelling|jeugdbescherming|jeugdreclassering|"
            r"voogdij|jb|jr)\b",
            t,
        )
    )
    return "vrijwillig" if v and not g else "gedwongen" if g and not v else None


def _maatregel(text: str) -> str | None:
    t = text.upper()
    jb, jr = bool(re.search(r"\bJB\b", t)), bool(re.search(r"\bJR\b", t))
    if jb != jr:
        return "JB" if jb else "JR"
    if jb and jr:
        return None
    if re.search(r"jeugdreclassering", text, re.I):
        return "JR"
    if re.search(r"jeugdbescherming|\bots\b|ondertoezichtstelling|voogdij", text, re.I):
        return "JB"
    return None


def _read_pgb(text: str) -> Read:
    """'Ja, besproken met ouders\nOuders willen geen werkgeverschap' — the first line
    answers 'verkend?', what follows 'waarom geen PGB?'. On one line: 'Ja, verkend.
    Ouders willen …'; a sentence that says it was discussed is itself the argument
    ('Besproken met vader, hij …').
    """
    first, _, more = text.partition("\n")
    yes, rest = nz.yes_no_read(first)
    if yes is None:
        yes, rest = nz.yes_no_read(text)
        first, more = text, ""
    if yes is not None and not EXPLICIT_YES_NO.match(first) and not more.strip():
        rest = first  # 'Niet besproken omdat …': the whole sentence argues
    elif (
        yes is not None and not more.strip()
    ):  # 'ja, besproken met vader, hij …': the sentence after the ja
        rest = re.sub(r"^\W*(ja|nee|neen|yes|no)\b[\s,.;:–-]*", "", first, flags=re.I)
        echo = re.match(
            r"^\W*\(?\s*(is\s+)?(nog\s+)?(niet\s+)?(gecheckt|verkend|besproken|overwogen|bekeken)\s*\)?"
            r"\s*([.;:]|$)",
            rest,
            re.I,
        )
        # 'Ja, verkend. Ouders willen …', 'Nee, niet verkend. …': the echo is no
        # argument
        if echo:
            rest = rest[echo.end() :].strip()
        rest = rest[:1].upper() + rest[1:]
    argumenten = more.strip() or rest
    argumenten = re.sub(
        r"^\W*(\w+\s*){1,4}\??\s*:\s*", "", argumenten.strip()
    )  # 'Waarom niet: …', 'Argumenten: …'
    if yes is None and first is not text:
        argumenten = more.strip() or first
    out: Read = {
        "pgb_verkend": Value(yes),
        "pgb_argumenten": Value(nz.text(argumenten)),
    }
    if yes is None and nz.clean(text):
        out["pgb_verkend"] = _doubt(None, "niet duidelijk of een PGB is verkend", 0.0)
    return out


def _read_pgb_argumenten(text: str) -> Read:
    """The answer to 'Waarom is een PGB geen optie?': all of it, but a leading 'Ja –' /
    'Nee,'."""
    m = EXPLICIT_YES_NO.match(text)
    out = {
        "pgb_argumenten": Value(
            nz.text(text[m.end() :].lstrip(" ,.;:–-") if m else text)
        )
    }
    if m:
        out["pgb_verkend"] = Value(nz.yes_no(m.group()))
    return out


EXPLICIT_YES_NO = re.compile(
    r"^\W*(ja|nee|neen|yes|no)\b|^\W*(?:[☒☑☐□]|\[\s*[xX ]?\s*\])", re.I
)


def _read_periode(text: str) -> Read:
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
            | {"startdatum": _doubt(None, "de startdatum ontbreekt", 0.0)}
        )
    elif len(ds) == 1:
        out.update(
            sure("startdatum", ds[0])
            | {"einddatum": _doubt(None, "de einddatum ontbreekt", 0.0)}
        )
    elif nz.text(text):
        why = (
            "de periode kon niet eenduidig worden gelezen"
            if not ds
            else "er staan meer dan twee datums"
        )
        out.update(
            {"startdatum": _doubt(None, why, 0.0), "einddatum": _doubt(None, why, 0.0)}
        )
    out.update(_inzet_in(text))
    return out


def _inzet_in(text: str) -> Read:
    found = nz.inzet(text)
    if not found:
        return {}
    n, eenheid, per = found
    return {
        "inzet.aantal": Value(n),
        "inzet.eenheid": Value(eenheid),
        "inzet.per": Value(per),
    }


def _read_inzet(text: str) -> Read:
    out = _inzet_in(text)
    if not out and nz.text(text):
        why = (
            "de omvang van de inzet kon niet eenduidig worden gelezen (aantal, eenheid"
            " en per week/maand/totaal)"
        )
        return {
            f: _doubt(None, why, 0.0)
            for f in ("inzet.aantal", "inzet.eenheid", "inzet.per")
        }
    return out


def _read_tarief(text: str) -> Read:
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
        out["tarief.bedrag"] = _doubt(
            out["tarief.bedrag"].value, "er staan meerdere tarieven in het antwoord"
        )
    if out["tarief.bedrag"].value is None and nz.text(text):
        out["tarief.bedrag"] = _doubt(None, "het bedrag kon niet worden gelezen", 0.0)
    if out["tarief.eenheid"].value is None and out["tarief.bedrag"].value is not None:
        out["tarief.eenheid"] = _doubt(
            None, "niet aangegeven per uur, dagdeel of etmaal", 0.0
        )
    out.update(
        _inzet_in(
            "\n".join(ln for ln in lines if ln is not tline)
            or re.sub(r"^[^€]*€\s*[\d.,]+", "", tline)
        )
    )
    return out


def _inzet_pattern() -> str:
    return r"\d+(?:[.,]\d+)?\s*(uur|uren|u|dagdelen|dagdeel|etmalen|etmaal)\s*(per|p/|/|in)\s*\w+"


def _read_hulpvorm(text: str) -> Read:
    """'Met verblijf', '☒ ambulant ☐ verblijf', 'Ambulant (geen verblijf)', and with the
    type of care after it: 'Ambulante hulp, namelijk Individuele begeleiding
    (productcode 45A11)'."""
    typed = _read_type(text)
    if "hulpvorm" in typed and typed["hulpvorm"].value:
        return typed
    return _read_with("hulpvorm", _hulpvorm)(text)


def _hulpvorm(text: str) -> str | None:
    box, _ = nz.ticked(
        text,
        (
            "ambulant",
            "ambulante hulp",
            "verblijf",
            "met verblijf",
            "jeugdhulp met verblijf",
        ),
    )
    if box:
        return "ambulant" if box.startswith("ambul") else "verblijf"
    t = re.sub(
        r"\b(geen|zonder|niet)\s+(met\s+)?(verblijf|ambulant\w*)", "", text.lower()
    )
    a, v = "ambul" in t, "verblijf" in t
    return "ambulant" if a and not v else "verblijf" if v and not a else None


def _hulpvorm_box(hulpvorm: str, text: str) -> Read:
    """A row or checkbox 'Ambulant' answered 'Ja' (with the type of care after it), or
    naming the hulpvorm itself ('ambulante hulp')."""
    yes, rest = nz.yes_no_read(text)
    if yes is not None:
        return (
            ({"hulpvorm": Value(hulpvorm)} | (_read_type(rest) if rest.strip() else {}))
            if yes
            else {}
        )
    named = _hulpvorm(text)
    return {"hulpvorm": Value(named)} if named else {}


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
    "spoed": _yes_no_field("spoed"),
    "gemeente": _read_with("gemeente", nz.clean),
    "zorgned_nummer": _read_with("zorgned_nummer", nz.digits),
    "leeftijd": _read_leeftijd,
    "contactpersoon": _read_contact,
    "jeugdwet_gecheckt": _yes_no_field("jeugdwet_gecheckt"),
    "ambulant": _read_hulp("ambulant"),
    "verblijf": _read_hulp("verblijf"),
    "verblijfsvorm": lambda t: sure("verblijfsvorm", nz.text(t)),
    "kader": lambda t: (
        _read_with("kader", _kader)(t)
        | (
            {"maatregel": Value(_maatregel(t))}
            if _kader(t) == "gedwongen" and _maatregel(t)
            else {}
        )
    ),
    "pgb": _read_pgb,
    "maatregel": _read_with("maatregel", _maatregel),
    "reden_niet_gecontracteerd": lambda t: sure(
        "reden_niet_gecontracteerd", nz.clean(t)
    ),
    "aanbieder": _read_aanbieder,
    "aanbieder_ids": _read_ids,
    "aanbieder_kvk": _read_number_row("aanbieder.kvk", nz.kvk),
    "aanbieder_agb": _read_number_row("aanbieder.agb_code", nz.agb),
    "aanbieder_iban": _read_iban_row,
    "aanbieder_adres": lambda t: sure("aanbieder.adres", nz.clean(t)),
    "aanbieder_rekeninghouder": lambda t: sure("aanbieder.rekeninghouder", nz.clean(t)),
    "kwaliteit_onderbouwing": lambda t: sure("kwaliteit_onderbouwing", nz.clean(t)),
    "periode": _read_periode,
    "inzet": _read_inzet,
    "tarief": _read_tarief,
    "advies_beleidsadviseur": _advice("advies_beleidsadviseur"),
    "advies_icm": _advice("advies_icm"),
    # canonical fields, when the layout names them (content controls, AcroForm fields)
    "contactpersoon.naam": lambda t: {
        k: v for k, v in _read_contact(t).items() if k == "contactpersoon.naam"
    },
    "contactpersoon.telefoon": _read_with("contactpersoon.telefoon", nz.phone),
    "contactpersoon.email": _read_with("contactpersoon.email", nz.email),
    "hulpvorm": lambda t: _read_hulpvorm(t),
    "hulpvorm:ambulant": lambda t: _hulpvorm_box("ambulant", t),
    "hulpvorm:verblijf": lambda t: _hulpvorm_box("verblijf", t),
    "type_hulp": lambda t: _read_type(t),
    "productcode": _read_with("productcode", nz.productcode),
    "pgb_verkend": _yes_no_field("pgb_verkend"),
    "pgb_argumenten": _read_pgb_argumenten,
    "aanbieder.naam": _read_aanbieder,
    "aanbieder.contactpersoon": lambda t: (
        _read_aanbieder(t)
        if any(p.kind == "organisation" for p in nz.take_apart(t))
        else _read_provider_contact(t)
    ),
    "aanbieder.telefoon": _read_with("aanbieder.telefoon", nz.phone),
    "aanbieder.kvk": _read_number_row("aanbieder.kvk", nz.kvk),
    "aanbieder.agb_code": _read_number_row("aanbieder.agb_code", nz.agb),
    "aanbieder.iban": _read_iban_row,
    "aanbieder.adres": lambda t: sure("aanbieder.adres", nz.clean(t)),
    "aanbieder.rekeninghouder": lambda t: sure("aanbieder.rekeninghouder", nz.clean(t)),
    "startdatum": _read_with("startdatum", nz.one_date),
    "einddatum": _read_with("einddatum", nz.one_date),
    "inzet.aantal": _read_with("inzet.aantal", lambda t: nz.amount(t)),
    "inzet.eenheid": _read_with("inzet.eenheid", nz.unit),
    "inzet.per": _read_with("inzet.per", _per),
    "tarief.bedrag": _read_with("tarief.bedrag", nz.amount),
    "tarief.eenheid": _read_with("tarief.eenheid", nz.unit),
}


# --- the record
# ----------------------------------------------------------------------------------


def join_continued(cells: list[Cell], labels) -> list[Cell]:
    """A row cut in two (by a page break, or a question wrapped into a second row)
    joined again: the second part has no question, or its question continues one left
    unfinished — it starts in lower case, or the two read better together as the same
    question."""
    out: list[Cell] = []
    for cell in cells:
        before = out[-1] if out and not out[-1].key and not cell.key else None
        if before is not None and _continues(before, cell, labels):
            out[-1] = Cell(
                f"{before.question} {cell.question}".strip(),
                " ".join(x for x in (before.answer, cell.answer) if x),
                confidence=min(before.confidence, cell.confidence),
            )
        else:
            out.append(cell)
    return out


def _continues(before: Cell, cell: Cell, labels) -> bool:
    if not cell.question.strip():
        return bool(nz.clean(cell.answer))
    if before.question.rstrip().endswith(("?", ":", ".", ")")):
        return False
    if cell.question.lstrip()[:1].islower():
        return True
    kind, together = labels.match(f"{before.question} {cell.question}")
    first, alone = labels.match(before.question)
    second, second_alone = labels.match(cell.question)
    return (
        kind == first
        and together > max(alone, second_alone)
        and (second == first or second_alone < QUESTION_SURE_SCORE)
    )


def build(reading: Reading, mappings: Mappings) -> Extraction:
    """A layout's cells → `Extraction`. Raises `UnreadableForm` when the cells are not a
    request form."""
    reading.cells = join_continued(reading.cells, mappings.labels)
    values: dict[str, Value] = {}
    meldingen: list[Melding] = []
    seen: dict[str, str] = {}
    advies: dict[str, dict[str, str | None]] = {}
    answered_elsewhere = []
    hulp: dict[str, dict[str, Value]] = {}
    matched: list[tuple[Cell, str, float]] = []
    group: str | None = (
        None  # the person or organisation the questions just before were about
    )
    for cell in reading.cells:
        kind, score = (
            (cell.key, 100.0) if cell.key else mappings.labels.match(cell.question)
        )
        part = (
            mappings.labels.part_named(cell.question)
            if score < QUESTION_MIN_SCORE
            else None
        )
        if (
            part and group and f"{group}.{part}" in READERS
        ):  # 'E-mail' under 'Naam aanvrager'
            kind, score = f"{group}.{part}", QUESTION_SURE_SCORE
        if kind and score >= QUESTION_MIN_SCORE:
            group = mappings.labels.person_group(kind)
        if kind and kind.startswith(tuple(f"{who}." for who in ADVISERS)):
            who, _, part = kind.partition(".")
            advies.setdefault(who, {})[part] = nz.clean(cell.answer)
            continue
        if (
            kind is None
            or score < QUESTION_MIN_SCORE
            or kind == "ignore"
            or kind not in READERS
        ):
            if (
                nz.text(cell.answer)
                and kind != "ignore"
                and (score >= QUESTION_NEAR_SCORE or "?" in cell.question)
            ):
                answered_elsewhere.append(
                    cell.question
                )  # it looks like a question: the answer may matter
            continue
        matched.append((cell, kind, score))
    found = len({kind for _, kind, _ in matched})
    # the best-matching question first: its answer wins; another cell only fills what is
    # still empty (a question asking one thing beats a composite one of the same score
    # for that thing)
    composite = mappings.labels.samengesteld
    for cell, kind, score in sorted(
        matched, key=lambda m: (-m[2], m[1] in composite, not _asks(m[0].question))
    ):
        if not nz.clean(cell.answer):
            continue
        seen.setdefault(kind, cell.answer)
        base = (1.0 if score >= QUESTION_SURE_SCORE else score / 100) * cell.confidence
        for name, v in READERS[kind](cell.answer).items():
            v.confidence = min(v.confidence, base)
            if name.startswith("_"):  # the two hulpvorm rows are decided together below
                hulp.setdefault(name.split(".")[0][1:], {}).setdefault(
                    name.partition(".")[2] or "ja", v
                )
                continue
            before = values.get(name)
            if before is None or (
                before.value is None and (v.value is not None or v.twijfel)
            ):
                values[name] = v
            elif v.value is not None and v.value != before.value:
                meldingen.append(
                    Melding(
                        veld=name,
                        ernst="waarschuwing",
                        tekst=(
                            f"Vraag '{mappings.labels.question_of(name)}': het"
                            " formulier geeft twee antwoorden;"
                            f" '{_shown(before.value)}' is gebruikt, ook genoemd is"
                            f" '{_shown(v.value)}' (bij '{_short(cell.question)}')."
                        ),
                    )
                )
    if found < MIN_QUESTIONS_FOR_A_FORM and reading.scanned:
        raise UnreadableForm(
            "De scan bevat geen leesbare tekst van een aanvraagformulier. Stuur het"
            " formulier als Word-bestand of als betere scan."
        )
    if found < MIN_QUESTIONS_FOR_A_FORM:
        raise UnreadableForm(
            "Het document is geen aanvraagformulier maatwerkovereenkomst: de vragen van"
            " het formulier zijn niet gevonden. Gebruik het aanvraagformulier"
            " (Bijlage 1)."
        )
    _decide_hulpvorm(hulp, values)
    for who, parts in advies.items():
        values[who] = Value(_advice_from_parts(parts))
    # the inzet is often written in the tarief or periode answer
    if values.get("inzet.aantal") is None or values["inzet.aantal"].value is None:
        for kind in ("tarief", "periode"):
            extra = _inzet_in(seen.get(kind) or "")
            if extra:
                values.update(extra)
                break
    for question in answered_elsewhere:
        meldingen.append(
            Melding(
                veld=None,
                ernst="waarschuwing",
                tekst=(
                    f"Het antwoord bij '{_short(question)}' hoort bij geen vraag van"
                    " het formulier en is niet overgenomen; controleer of het ergens"
                    " anders thuishoort."
                ),
            )
        )
    if (
        reading.scanned
    ):  # a name read by OCR may have lost an accent or a dotless ı: say so per name
        for name in SPELLED:
            v = values.get(name)
            if v is not None and v.value and not v.twijfel:
                v.twijfel = (
                    "met tekstherkenning gelezen; controleer de spelling (ook accenten)"
                )
    extraction = _finish(
        values,
        meldingen,
        mappings,
        reading.layout,
        unsure_absent=bool(answered_elsewhere),
    )
    if reading.scanned:
        extraction.meldingen.insert(
            0, Melding(veld=None, ernst="waarschuwing", tekst=SCAN_NOTICE)
        )
    spoed = seen.get("spoed")
    if spoed and re.search(r"\bcrisis", spoed, re.I):
        extraction.kenmerken.append("crisis")
    return extraction


ASKING = re.compile(
    r"^\W*(\d+[.)]?\s*|vraag\s*\d+\s*[:.]?\s*)?(wie|wat|welke?|waarom|hoe|hoeveel|wanneer|waar|is|zijn|"
    r"heeft|hebben|heb|gaat|kan|moet|geef|motiveer|beschrijf|noem|vermeld|omschrijf|onderbouw)\b",
    re.I,
)


def _asks(question: str) -> bool:
    """Is this text worded as a question ('Waarom …?', 'Motiveer …', '… :'), not a
    title?"""
    q = question.strip()
    return q.endswith(("?", ":")) or bool(ASKING.match(q))


def _short(question: str, n: int = 70) -> str:
    q = re.sub(r"\s+", " ", question).strip()
    return q if len(q) <= n else q[:n].rsplit(" ", 1)[0] + " …"


def _decide_hulpvorm(
    hulp: dict[str, dict[str, Value]], values: dict[str, Value]
) -> None:
    """Exactly one of the rows 'ambulante hulp?' and 'jeugdhulp met verblijf?' says yes."""
    yes = [k for k, r in hulp.items() if r.get("ja") and r["ja"].value]
    if len(yes) == 1:
        chosen = hulp[yes[0]]
        conf = min(v.confidence for v in chosen.values())
        unclear = [k for k, r in hulp.items() if r.get("ja") and r["ja"].value is None]
        values["hulpvorm"] = (
            Value(yes[0], conf, None)
            if not unclear
            else _doubt(
                yes[0], "de andere hulpvorm is niet duidelijk met nee beantwoord"
            )
        )
        for part in ("type_hulp", "productcode"):
            v = chosen.get(part, Value(None))
            values[part] = Value(v.value, min(v.confidence, conf), v.twijfel)
    elif len(yes) > 1:
        values["hulpvorm"] = _doubt(
            None, "zowel ambulante hulp als verblijf is met ja beantwoord", 0.0
        )
    elif any(r.get("ja") and r["ja"].value is None for r in hulp.values()):
        values["hulpvorm"] = _doubt(
            None, "niet duidelijk of het om ambulante hulp of verblijf gaat", 0.0
        )


def _advice_from_parts(parts: dict[str, str | None]):
    oordeel = (parts.get("oordeel") or "").lower()
    if oordeel not in ("positief", "negatief"):
        return None
    out: dict[str, Any] = {"oordeel": oordeel, "toelichting": parts.get("toelichting")}
    if parts.get("productcode"):
        out["productcode"] = nz.productcode(parts["productcode"])
    if parts.get("tarief"):
        out["tarief"] = {
            "bedrag": nz.amount(parts["tarief"]),
            "eenheid": nz.unit(parts["tarief"]),
        }
    return out


def _finish(
    values: dict[str, Value],
    meldingen: list[Melding],
    mappings: Mappings,
    layout: str,
    unsure_absent: bool = False,
) -> Extraction:
    labels = mappings.labels
    # gemeente: canonical name, typo-tolerant
    g = values.get("gemeente")
    if g is not None and g.value:
        naam, score = mappings.region.match_gemeente(g.value)
        if naam and score >= 80:
            values["gemeente"] = Value(
                naam,
                min(g.confidence, 1.0 if score >= 95 else score / 100),
                None if score >= 95 else f"gelezen als {naam}",
            )
        else:  # not one of the region's: kept as written (validate says it is not ours)
            values["gemeente"] = Value(nz.place_name(g.value), g.confidence, g.twijfel)
    # in gedwongen kader no PGB; in vrijwillig kader no maatregel
    kader = values.get("kader", Value(None)).value
    if kader == "gedwongen":
        values["pgb_verkend"] = values["pgb_argumenten"] = Value(None)
    elif kader == "vrijwillig":
        values["maatregel"] = Value(None)
    if (
        values.get("hulpvorm", Value(None)).value == "ambulant"
    ):  # a form of verblijf only with verblijf
        values["verblijfsvorm"] = Value(None)
    confidence: dict[str, float] = {}
    for name, v in sorted(values.items()):
        if v.confidence >= 1.0 and not v.twijfel:
            continue
        confidence[name] = v.confidence
        if v.confidence >= CERTAIN and not v.twijfel:
            continue
        vraag = labels.question_of(name)
        if v.value is None:
            tekst = (
                f"Vraag '{vraag}':"
                f" {v.twijfel or 'het antwoord kon niet worden gelezen'}; vul dit aan"
                " of controleer het."
            )
        else:
            tekst = (
                f"Vraag '{vraag}': {v.twijfel or 'met lage zekerheid gelezen'};"
                f" controleer '{_shown(v.value)}'."
            )
        meldingen.append(Melding(veld=name, ernst="waarschuwing", tekst=tekst))
    # a question not recognised may hold what looks missing: nothing missing is certain
    if unsure_absent:
        kader = values.get("kader", Value(None)).value
        hulpvorm = values.get("hulpvorm", Value(None)).value
        not_asked = {
            "gedwongen": ("pgb_verkend", "pgb_argumenten"),
            "vrijwillig": ("maatregel",),
        }.get(kader, ())
        not_asked += ("verblijfsvorm",) if hulpvorm == "ambulant" else ()
        for name in labels.velden:
            if (
                (name not in values or values[name].value is None)
                and name not in confidence
                and name not in not_asked
            ):
                confidence[name] = 0.0
                meldingen.append(
                    Melding(
                        veld=name,
                        ernst="waarschuwing",
                        tekst=(
                            f"Vraag '{labels.question_of(name)}': geen antwoord"
                            " gevonden; mogelijk staat het bij een vraag die niet is"
                            " herkend. Controleer het formulier."
                        ),
                    )
                )
    nested: dict[str, Any] = {}
    for name, v in values.items():
        head, dot, tail = name.partition(".")
        if dot:
            nested.setdefault(head, {})[tail] = v.value
        else:
            nested[name] = v.value
    record = Aanvraag.model_validate(nested)
    return Extraction(
        record=record, meldingen=meldingen, layout=layout, confidence=confidence
    )


def _shown(value: Any) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%d-%m-%Y")
    return str(value)
