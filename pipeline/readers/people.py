"""The rows about people: the referrer's contact, the provider with its contact person
and its numbers (KvK, AGB, IBAN)."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.readers import answers as nz
from pipeline.readers.value import (
    Read,
    Value,
    doubt,
    read_with,
    sure,
)


def read_contact(text: str) -> Read:
    """'Naam: Jan de Vries, tel. 06-…, mail …', 'Mij: Jan / 06-… / jan@…', 'Jan
    (jeugdconsulent) 06-…'."""
    pieces = nz.take_apart(text)
    out: Read = {
        "contactpersoon.telefoon": one_of(pieces, "phone", "het telefoonnummer"),
        "contactpersoon.email": one_of(pieces, "email", "het e-mailadres"),
    }
    names = [p for p in pieces if p.kind == "person" and not p.annotation]
    others = [
        p for p in pieces if p.kind in ("text", "organisation") and not p.annotation
    ]
    if len(names) == 1:
        out["contactpersoon.naam"] = Value(names[0].value)
    elif names:
        out["contactpersoon.naam"] = doubt(
            names[0].value, "er staan meerdere namen in het antwoord"
        )
    elif others:
        out["contactpersoon.naam"] = doubt(
            others[0].value, "de naam is niet met zekerheid herkend"
        )
    else:
        out["contactpersoon.naam"] = Value(None)
    return out


def one_of(pieces: list[nz.Piece], kind: str, what: str) -> Value:
    values = list(dict.fromkeys(p.value for p in pieces if p.kind == kind))
    if len(values) > 1:
        return doubt(None, f"er staat meer dan één {what} in het antwoord", 0.0)
    return Value(values[0] if values else None)


def read_aanbieder(text: str) -> Read:
    """'Praktijk X B.V. (contact: Jan, 06-…)', 'Aanbieder X, contactpersoon is Jan
    (06-…)', 'X - Jan Jansen (gedragswetenschapper)', 'X\\nJan\\n06-…' and KvK/AGB/IBAN
    on the same lines.
    """
    pieces = nz.take_apart(text)
    out: Read = {"aanbieder.telefoon": one_of(pieces, "phone", "telefoonnummer")}
    out.update(ids_in(pieces))
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
            else doubt(naam.value, "er staan meerdere organisaties in het antwoord")
        )
    else:
        out["aanbieder.naam"] = doubt(
            naam.value, "de naam van de aanbieder is niet met zekerheid herkend"
        )
    if contact is not None:
        out["aanbieder.contactpersoon"] = (
            Value(contact.value)
            if contact.kind == "person"
            else doubt(contact.value, "de contactpersoon is niet met zekerheid herkend")
        )
    else:
        out["aanbieder.contactpersoon"] = Value(None)
    leftover = [p for p in words if p is not naam and p is not contact]
    if leftover and naam is not None:
        out["aanbieder.naam"] = doubt(
            out["aanbieder.naam"].value,
            "het antwoord bevat meer dan de naam en de contactpersoon",
        )
    return out


def read_provider_contact(text: str) -> Read:
    """The provider's contact person, with the phone number written beside the name."""
    contact = read_contact(text)
    out = {"aanbieder.contactpersoon": contact["contactpersoon.naam"]}
    if contact["contactpersoon.telefoon"].value:
        out["aanbieder.telefoon"] = contact["contactpersoon.telefoon"]
    return out


def ids_in(pieces: list[nz.Piece], bare_numbers: bool = True) -> Read:
    """KvK, AGB and IBAN among an answer's pieces; `bare_numbers`: 8-digit numbers
    without their label count too (an answer that gives all the provider's numbers)."""
    out: Read = {}
    for kind, field, what in (
        ("kvk", "aanbieder.kvk", "KvK-nummer"),
        ("agb", "aanbieder.agb_code", "AGB-code"),
        ("iban", "aanbieder.iban", "IBAN"),
    ):
        if any(p.kind == kind for p in pieces):
            out[field] = one_of(pieces, kind, what)
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
                doubt(bare[0], why),
                doubt(bare[1], why),
            )
        else:
            why = "een nummer zonder 'KvK' of 'AGB' ervoor"
            out["aanbieder.kvk"] = out["aanbieder.agb_code"] = doubt(None, why, 0.0)
    return out


def read_ids(text: str) -> Read:
    """KvK, AGB and IBAN in one answer, labelled, on lines or with slashes between
    them."""
    out = {
        f: Value(None)
        for f in ("aanbieder.kvk", "aanbieder.agb_code", "aanbieder.iban")
    }
    out.update(ids_in(nz.take_apart(text)))
    if all(v.value is None for v in out.values()) and nz.text(text):
        return {
            f: doubt(
                None,
                "de nummers zijn niet herkend (schrijf 'KvK', 'AGB' en 'IBAN' ervoor)",
                0.0,
            )
            for f in out
        }
    return out


def read_number_row(
    field: str, labelled: Callable[[str], str | None]
) -> Callable[[str], Read]:
    """A row that asks for one 8-digit number (KvK or AGB); other numbers written in it
    with their label ('KvK 1234 5678, AGB 98-123456') are taken too."""

    def read(text: str) -> Read:
        others = {
            k: v
            for k, v in ids_in(nz.take_apart(text), bare_numbers=False).items()
            if k != field
        }
        value = labelled(text)
        if value is None and not others:
            value = nz.eight_digits(text)
        if value is None and nz.text(text) and not others:
            digits = nz.digits(text)
            return {
                field: doubt(
                    digits, "het nummer heeft niet 8 cijfers", 1.0 if digits else 0.0
                )
            }
        return others | sure(field, value)

    return read


def read_iban_row(text: str) -> Read:
    others = {
        k: v
        for k, v in ids_in(nz.take_apart(text), bare_numbers=False).items()
        if k != "aanbieder.iban"
    }
    return others | read_with("aanbieder.iban", nz.iban_text)(text)
