"""The typed records that travel between the stages.

`Aanvraag` is the canonical request record: its JSON is exactly what
`maatwerk extract --json` prints (field names from the request form spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from pipeline.text import printable

Ernst = Literal["fout", "waarschuwing"]


def _no_controls(value: object) -> object:
    """Every text of a record without control characters, however it came in (a form, a
    reply, an advice, a stored record read back): a value never becomes control in a
    document, the register index, a mail header or a terminal (pipeline/text.py)."""
    return printable(value) if isinstance(value, str) else value


# an advice's verdict, and the units a tariff is counted in: defined here once
Oordeel = Literal["positief", "negatief"]
POSITIEF: Final[Oordeel] = "positief"
NEGATIEF: Final[Oordeel] = "negatief"
Eenheid = Literal["uur", "dagdeel", "etmaal"]


class Melding(BaseModel):
    """One finding about a form, in Dutch, for the person who reads it."""

    veld: str | None
    ernst: Ernst
    tekst: str  # may quote a value from the form

    _printable = field_validator("*", mode="before")(_no_controls)


class _Rec(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    _printable = field_validator("*", mode="before")(_no_controls)


class Contactpersoon(_Rec):
    naam: str | None = None
    telefoon: str | None = None
    email: str | None = None


class Aanbieder(_Rec):
    naam: str | None = None
    contactpersoon: str | None = None
    telefoon: str | None = None
    kvk: str | None = None
    agb_code: str | None = None
    iban: str | None = None
    # Asked on the project's own form, not on the regions' older ones: the referrer is
    # asked for them before the contract is made. Left out of the record's JSON while
    # unknown.
    adres: str | None = Field(default=None, exclude_if=lambda v: v is None)
    rekeninghouder: str | None = Field(
        default=None, exclude_if=lambda v: v is None
    )  # IBAN name check


class Inzet(_Rec):
    aantal: Decimal | None = None
    eenheid: Eenheid | None = None
    per: Literal["week", "maand", "totaal"] | None = None

    @field_serializer("aantal")
    def _num(self, v: Decimal | None):
        if v is None:
            return None
        return int(v) if v == v.to_integral_value() else float(v)


class Tarief(_Rec):
    bedrag: Decimal | None = None
    eenheid: Eenheid | None = None

    @field_serializer("bedrag")
    def _amount(self, v: Decimal | None):
        return None if v is None else f"{v.quantize(Decimal('0.01'))}"


class Advies(_Rec):
    oordeel: Oordeel
    toelichting: str | None = None
    productcode: str | None = None
    tarief: Tarief | None = None
    icode: str | None = Field(
        default=None, exclude_if=lambda v: v is None
    )  # ICM's proposed i-code


class Aanvraag(_Rec):
    spoed: bool | None = None
    gemeente: str | None = None
    zorgned_nummer: str | None = None
    leeftijd: int | None = None
    contactpersoon: Contactpersoon = Contactpersoon()
    jeugdwet_gecheckt: bool | None = None
    hulpvorm: Literal["ambulant", "verblijf"] | None = None
    type_hulp: str | None = None
    productcode: str | None = None
    verblijfsvorm: str | None = None
    kader: Literal["vrijwillig", "gedwongen"] | None = None
    pgb_verkend: bool | None = None
    pgb_argumenten: str | None = None
    maatregel: Literal["JB", "JR"] | None = None
    reden_niet_gecontracteerd: str | None = None
    aanbieder: Aanbieder = Aanbieder()
    kwaliteit_onderbouwing: str | None = None
    startdatum: date | None = None
    einddatum: date | None = None
    inzet: Inzet = Inzet()
    tarief: Tarief = Tarief()
    advies_beleidsadviseur: Advies | None = None
    advies_icm: Advies | None = None


class Extraction(BaseModel):
    """Output of the extract stage: the record plus what the reader noticed."""

    record: Aanvraag
    meldingen: list[Melding] = []
    layout: str
    confidence: dict[
        str, float
    ] = {}  # per dotted field, 0–1; absent means read with certainty
    kenmerken: list[
        str
        # marks outside the canonical record, e.g. "crisis" (spoed answer 'JA (crisis)')
    ] = []

    def as_json_dict(self) -> dict:
        data = self.record.model_dump(mode="json")
        data["meldingen"] = [m.model_dump() for m in self.meldingen]
        return data


@dataclass(frozen=True)
class Attachment:
    """A file that came in: its name as sent (never used as a path) and its bytes."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Submission:
    """Output of the intake stage: one incoming mail or dropped file."""

    source: Literal["mail", "drop"]
    source_ref: str  # Message-ID of the mail, or the dropped file's name
    dedupe_key: str
    received_at: datetime
    sender: str | None = None
    sender_name: str | None = (
        None  # the From header's display name, when it names someone
    )
    automatic: str | None = (
        None  # 'afwezig', 'niet bezorgd', 'leesbevestiging', 'automatisch'
    )
    automatic_for: str | None = None  # whose absence, or which address was not reached
    subject: str = ""
    body: str = ""
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    recipients: list[str] = field(
        default_factory=list
    )  # To and Cc addresses (a named poortwachter)
    attachments: list[Attachment] = field(default_factory=list)
    raw: bytes | None = None
    path: Path | None = None
