"""Render stage: a decided case → documents from the docx templates in `templates/`.

docxtpl with autoescape on, and every value wrapped as literal text (`Listing`): a form
answer like `{{ 7*7 }}`, `R&D <b>` or `=HYPERLINK(…)` appears as written, never
evaluated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypedDict, Unpack

from docxtpl import DocxTemplate, Listing

from pipeline import bundled
from pipeline.models import Aanbieder, Aanvraag, Inzet, Tarief
from pipeline.region.profile import Mappings
from pipeline.stages.decide import Decision
from pipeline.text import printable
from pipeline.workdays import dutch_date

CENT = Decimal("0.01")
EENHEID_MEERVOUD = {"uur": "uur", "dagdeel": "dagdelen", "etmaal": "etmalen"}


def euro(amount: Decimal | None) -> str:
    """'€ 1.234,56'."""
    if amount is None:
        return "—"
    q = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    whole, _, cents = f"{q:,.2f}".partition(".")
    return f"€ {whole.replace(',', '.')},{cents}"


def number_nl(value: Decimal) -> str:
    """'2,5', '12', '2,33' (at most two decimals shown)."""
    if value != value.quantize(CENT):
        value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    text = (
        f"{value.normalize():f}"
        if value == value.to_integral_value()
        else f"{value.normalize():f}"
    )
    return text.replace(".", ",")


@dataclass(frozen=True)
class ContractValue:
    total: Decimal | None
    # the computation in words, shown in contract and register; or why there is none
    working: str


def inzet_in(
    inzet: Inzet, unit: str, conversions: dict[tuple[str, str], Decimal]
) -> Decimal | None:
    """The inzet's amount in `unit`: as written, or by the region's rule (1 dagdeel = 4
    uur); None when the units differ and no rule converts them."""
    if inzet.aantal is None or inzet.eenheid is None:
        return None
    if inzet.eenheid == unit:
        return inzet.aantal
    if (inzet.eenheid, unit) in conversions:
        return inzet.aantal * conversions[(inzet.eenheid, unit)]
    if (unit, inzet.eenheid) in conversions:
        return inzet.aantal / conversions[(unit, inzet.eenheid)]
    return None


def _period_factor(per: str, days: Decimal) -> tuple[Decimal, str]:
    """How many times the inzet's amount falls in a period of `days` days, and that
    computation in words ('' for an amount in total)."""
    if per == "totaal":
        return Decimal(1), ""
    if per == "week":
        return days / 7, f" × {int(days)} dagen / 7"
    return days * 12 / Decimal("365.25"), f" × {int(days)} dagen × 12 / 365,25"


def contract_value(
    tarief: Tarief,
    record: Aanvraag,
    conversions: dict[tuple[str, str], Decimal] | None = None,
) -> ContractValue:
    """tariff × volume × length of the period, exact in Decimal and rounded once, to the
    cent, at the end. The tariff's unit and the inzet's must agree or be converted by
    the region's rule.
    """
    inzet = record.inzet
    if not (
        tarief.bedrag
        and inzet.aantal
        and inzet.per
        and record.startdatum
        and record.einddatum
    ):
        return ContractValue(
            None, "Niet te berekenen: tarief, omvang van de inzet of periode ontbreekt."
        )
    if not (tarief.eenheid and inzet.eenheid):
        return ContractValue(
            None,
            "Niet te berekenen: niet bekend of het tarief en de inzet per uur, dagdeel"
            " of etmaal zijn.",
        )
    volume = inzet_in(inzet, tarief.eenheid, conversions or {})
    if volume is None:
        in_units = {"uur": "uren", "dagdeel": "dagdelen", "etmaal": "etmalen"}[
            inzet.eenheid
        ]
        return ContractValue(
            None,
            f"Niet te berekenen: het tarief is per {tarief.eenheid}, de inzet in"
            f" {in_units}; de regio heeft geen omrekening daarvoor.",
        )
    days = Decimal((record.einddatum - record.startdatum).days + 1)
    factor, factor_text = _period_factor(inzet.per, days)
    total = (tarief.bedrag * volume * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    per = "in totaal" if inzet.per == "totaal" else f"per {inzet.per}"
    converted = (
        ""
        if inzet.eenheid == tarief.eenheid
        else (f" (= {number_nl(volume)} {EENHEID_MEERVOUD[tarief.eenheid]})")
    )
    working = (
        f"{euro(tarief.bedrag)} per {tarief.eenheid} × {number_nl(inzet.aantal)}"
        f" {EENHEID_MEERVOUD[inzet.eenheid]}{converted} {per}{factor_text} ="
        f" {euro(total)}"
    )
    return ContractValue(total, working)


def dutch_list(items: list[str]) -> str:
    """'a', 'a en b', 'a, b en c'."""
    items = [i for i in items if i]
    return (
        items[0]
        if len(items) == 1
        else ", ".join(items[:-1]) + " en " + items[-1]
        if items
        else ""
    )


def _text(value: Any) -> Listing:
    """Any value as literal document text ('—' when absent); no control character
    reaches the document (Listing turns FF and BEL into page and paragraph breaks;
    others make Word refuse it).
    """
    if value is None or value == "":
        return Listing("—")
    if isinstance(value, date):
        return Listing(dutch_date(value, weekday=False))
    return Listing(printable(str(value)) or "—")


class Renderer:
    """The docx templates (the region's own folder first, then the shipped ones),
    filled with a context of literal values."""

    def __init__(self, own: Path | None = None) -> None:
        self.folders = bundled.search_path(own, bundled.TEMPLATES)

    def path(self, name: str) -> Path:
        return bundled.find(self.folders, f"{name}.docx")

    def render(self, name: str, context: dict[str, Any]) -> bytes:
        """Template `name` filled with `context`, as .docx bytes. Raises what docxtpl
        raises for a missing or broken template (a fault of the installation)."""
        tpl = DocxTemplate(str(self.path(name)))
        tpl.render({k: _wrap(v) for k, v in context.items()}, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    def undeclared(self, name: str) -> set[str]:
        """The variables template `name` uses."""
        return DocxTemplate(str(self.path(name))).get_undeclared_template_variables()


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, (bool, Listing)):
        return value
    return _text(value)


def chosen_tariff(decision: Decision, record: Aanvraag) -> Tarief:
    """ICM's proposed tariff when the advice gave one, else the form's (its unit only
    from the same source: a tariff without a unit is not completed from elsewhere)."""
    return (
        decision.tarief if decision.tarief and decision.tarief.bedrag else record.tarief
    )


def _productcode_text(regional: str | None, maatwerk: str | None) -> str | None:
    """The contract's product code, with the regional code it was made from."""
    if not regional or regional == maatwerk:
        return maatwerk
    return f"{maatwerk} (gemaakt van de regionale code {regional})"


def _inzet_text(inzet: Inzet) -> str | None:
    """'4 uur per week', '10 dagdelen in totaal'; None without an amount."""
    if not inzet.aantal:
        return None
    per = "in totaal" if inzet.per == "totaal" else f"per {inzet.per}"
    return (
        f"{number_nl(inzet.aantal)} {EENHEID_MEERVOUD.get(inzet.eenheid or '', '')}"
        f" {per}"
    )


class CaseFacts(TypedDict):
    """What every document of a case is filled from: the keyword arguments that
    `contract_context` and `refusal_context` share."""

    case_id: str
    record: Aanvraag
    decision: Decision
    mappings: Mappings
    today: date
    region_name: str


def _heading(case: CaseFacts) -> dict[str, Any]:
    """The case, date, region and gemeente every document starts with."""
    return {
        "zaak": case["case_id"],
        "datum": case["today"],
        "regio": case["region_name"],
        "gemeente": case["record"].gemeente,
    }


def contract_context(**case: Unpack[CaseFacts]) -> dict[str, Any]:
    """Everything the contract, Bijlage 2 and the package mail show. Made only for a
    complete record (`missing_provider_data` empty and a computable value): the workflow
    asks first.
    """
    record, decision, mappings = case["record"], case["decision"], case["mappings"]
    regional, maatwerk = mappings.product_codes(
        decision.productcode, record.productcode
    )
    tarief = chosen_tariff(decision, record)
    value = contract_value(tarief, record, mappings.region.omrekening)
    signatory = mappings.region.signatory(record.gemeente, value.total or Decimal(0))
    a = record.aanbieder
    return _heading(case) | {
        "zorgned_nummer": record.zorgned_nummer,
        "aanbieder": {name: getattr(a, name) for name in Aanbieder.model_fields},
        "type_hulp": record.type_hulp,
        "hulpvorm": (
            "jeugdhulp met verblijf"
            if record.hulpvorm == "verblijf"
            else "ambulante jeugdhulp"
        ),
        "productcode_regionaal": regional,
        "productcode": maatwerk,
        "productcode_tekst": _productcode_text(regional, maatwerk),
        "tarief": euro(tarief.bedrag),
        "eenheid": tarief.eenheid,
        "inzet": _inzet_text(record.inzet),
        "startdatum": record.startdatum,
        "einddatum": record.einddatum,
        "totaal": euro(value.total),
        "waarde": value.total,
        "berekening": value.working,
        "ondertekenaar": signatory,
        "kader": record.kader,
        "maatregel": record.maatregel,
    }


def refusal_context(
    *, beoordelaars: list[str], contact: str, **case: Unpack[CaseFacts]
) -> dict[str, Any]:
    """The refusal letter; `beoordelaars` are the roles that judged the request in the
    region's own words ('de poortwachter', 'de beleidsadviseur en ICM'), `contact` whom
    to ask.
    """
    record, decision, mappings = case["record"], case["decision"], case["mappings"]
    alternatives = [
        p["naam"]
        for p in mappings.contracted_providers
        if not p.get("hulpvormen") or (record.hulpvorm or "") in p["hulpvormen"]
    ]
    return _heading(case) | {
        "contactpersoon": record.contactpersoon.naam or "aanvrager",
        "aanbieder": record.aanbieder.naam,
        "type_hulp": record.type_hulp,
        "beoordeeld": f"Uw aanvraag is beoordeeld door {dutch_list(beoordelaars)}.",
        "contact": contact,
        "toelichting": decision.toelichting or "Geen toelichting gegeven.",
        "alternatieven": (
            "\n".join(f"• {a}" for a in alternatives)
            or f"Neem contact op met {contact} voor een passende gecontracteerde"
            " aanbieder."
        ),
    }
