"""Render stage: a decided case → documents from the docx templates in `templates/`.

docxtpl with autoescape on, and every value wrapped as literal text (`Listing`): a form
answer like `{{ 7*7 }}`, `R&D <b>` or `=HYPERLINK(…)` appears as written, never evaluated.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Optional

from docxtpl import DocxTemplate, Listing

from .decide import Decision
from .mappings import Mappings
from .models import Aanvraag, Tarief
from .workdays import dutch_date

CENT = Decimal("0.01")
EENHEID_MEERVOUD = {"uur": "uur", "dagdeel": "dagdelen", "etmaal": "etmalen"}


def euro(amount: Optional[Decimal]) -> str:
    """'€ 1.234,56'."""
    if amount is None:
        return "—"
    q = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    whole, _, cents = f"{q:,.2f}".partition(".")
    return f"€ {whole.replace(',', '.')},{cents}"


def number_nl(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value}"
    return text.replace(".", ",")


@dataclass(frozen=True)
class ContractValue:
    total: Optional[Decimal]
    working: str  # the computation in words, shown in contract and register


def contract_value(tarief: Tarief, record: Aanvraag) -> ContractValue:
    """tariff × volume × length of the period, with Decimal."""
    inzet = record.inzet
    if not (tarief.bedrag and inzet.aantal and inzet.per and record.startdatum and record.einddatum):
        return ContractValue(None, "Niet te berekenen: tarief, omvang van de inzet of periode ontbreekt.")
    days = Decimal((record.einddatum - record.startdatum).days + 1)
    meervoud = EENHEID_MEERVOUD.get(inzet.eenheid or "", inzet.eenheid or "")
    if inzet.per == "totaal":
        factor, factor_text = Decimal(1), ""
    elif inzet.per == "week":
        factor = (days / 7).quantize(CENT, rounding=ROUND_HALF_UP)
        factor_text = f" × {number_nl(factor)} weken ({int(days)} dagen / 7)"
    else:
        factor = (days * 12 / Decimal("365.25")).quantize(CENT, rounding=ROUND_HALF_UP)
        factor_text = f" × {number_nl(factor)} maanden ({int(days)} dagen × 12 / 365,25)"
    total = (tarief.bedrag * inzet.aantal * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    per = "in totaal" if inzet.per == "totaal" else f"per {inzet.per}"
    working = (f"{euro(tarief.bedrag)} per {tarief.eenheid or inzet.eenheid} × {number_nl(inzet.aantal)} "
               f"{meervoud} {per}{factor_text} = {euro(total)}")
    return ContractValue(total, working)


def _text(value: Any) -> Listing:
    """Any value as literal document text ('—' when absent)."""
    if value is None or value == "":
        return Listing("—")
    if isinstance(value, date):
        return Listing(dutch_date(value, weekday=False))
    return Listing(str(value))


class Renderer:
    def __init__(self, templates_dir: Path):
        self.dir = Path(templates_dir)

    def render(self, name: str, context: dict[str, Any]) -> bytes:
        tpl = DocxTemplate(str(self.dir / f"{name}.docx"))
        tpl.render({k: _wrap(v) for k, v in context.items()}, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    def undeclared(self, name: str) -> set[str]:
        return DocxTemplate(str(self.dir / f"{name}.docx")).get_undeclared_template_variables()


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, (bool, Listing)):
        return value
    return _text(value)


def contract_context(*, case_id: str, record: Aanvraag, decision: Decision, mappings: Mappings,
                     today: date, region_name: str) -> dict[str, Any]:
    code = decision.productcode or record.productcode or ""
    tarief = decision.tarief if decision.tarief and decision.tarief.bedrag else record.tarief
    if tarief.eenheid is None:
        tarief = Tarief(bedrag=tarief.bedrag, eenheid=record.tarief.eenheid)
    value = contract_value(tarief, record)
    signatory = mappings.region.signatory(record.gemeente, value.total or Decimal(0))
    a = record.aanbieder
    missing = [label for label, v in (("KvK-nummer", a.kvk), ("AGB-code", a.agb_code), ("IBAN", a.iban)) if not v]
    inzet = record.inzet
    return {
        "zaak": case_id,
        "datum": today,
        "regio": region_name,
        "gemeente": record.gemeente,
        "zorgned_nummer": record.zorgned_nummer,
        "aanbieder": {
            "naam": a.naam, "contactpersoon": a.contactpersoon, "telefoon": a.telefoon,
            "kvk": a.kvk or "ONTBREEKT", "agb_code": a.agb_code or "ONTBREEKT", "iban": a.iban or "ONTBREEKT",
            "adres": "(adres in te vullen)",  # not asked on the request form
        },
        "ontbrekend": ", ".join(missing) if missing else "geen",
        "type_hulp": record.type_hulp,
        "hulpvorm": "jeugdhulp met verblijf" if record.hulpvorm == "verblijf" else "ambulante jeugdhulp",
        "productcode_regionaal": record.productcode,
        "productcode": mappings.maatwerk_productcode(code) if code else None,
        "tarief": euro(tarief.bedrag),
        "eenheid": tarief.eenheid,
        "inzet": (f"{number_nl(inzet.aantal)} {EENHEID_MEERVOUD.get(inzet.eenheid or '', '')} "
                  f"{'in totaal' if inzet.per == 'totaal' else f'per {inzet.per}'}") if inzet.aantal else None,
        "startdatum": record.startdatum,
        "einddatum": record.einddatum,
        "totaal": euro(value.total),
        "waarde": value.total,
        "berekening": value.working,
        "ondertekenaar": signatory,
        "kader": record.kader,
        "maatregel": record.maatregel,
    }


def refusal_context(*, case_id: str, record: Aanvraag, decision: Decision, mappings: Mappings,
                    today: date, region_name: str) -> dict[str, Any]:
    alternatives = [p["naam"] for p in mappings.contracted_providers
                    if not p.get("hulpvormen") or (record.hulpvorm or "") in p["hulpvormen"]]
    return {
        "zaak": case_id,
        "datum": today,
        "regio": region_name,
        "gemeente": record.gemeente,
        "contactpersoon": record.contactpersoon.naam,
        "aanbieder": record.aanbieder.naam,
        "type_hulp": record.type_hulp,
        "toelichting": decision.toelichting or "Geen toelichting gegeven.",
        "alternatieven": "\n".join(f"• {a}" for a in alternatives) or "Neem contact op met ICM voor een passende "
                                                                    "gecontracteerde aanbieder.",
    }
