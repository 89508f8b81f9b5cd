"""Reports for the municipalities and ICM (seed 001 steps 13–14).

- verlopend: each gemeente gets a mail listing its contracts that end within N weeks;
  `maatwerk report verlopend` or on schedule inside `maatwerk run` (once per ISO week).
- monitoring: per gemeente the number of requests, approvals, the contracts running in
  the year with their value in that year, and the reasons given for not choosing a
  contracted provider (gaps in the care offer), as an xlsx with native Excel charts, set
  up to print.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import ConfigError
from pipeline.models import Aanvraag
from pipeline.region.profile import Mappings
from pipeline.register.index import _atomic_write, status_text
from pipeline.stages.render import euro
from pipeline.states import CONTRACT_STATES, CaseState
from pipeline.store import Case
from pipeline.text import printable

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

ACTIVE_CONTRACT = (CaseState.contract_verstuurd.value, CaseState.getekend.value)
OTHER: Final = "overig"
NO_REASON: Final = "geen reden opgegeven"
UNKNOWN_GEMEENTE: Final = "onbekend"
NO_FORM: Final = "geen formulier"
NO_FORM_NOTE: Final = (
    "de bijlage was geen aanvraagformulier (lege pagina, versleutelde PDF, brief); "
    "niet meegeteld bij de aanvragen"
)
PRO_RATA_NOTE: Final = (
    "Lopende contracten: elk contract telt in elk jaar waarin het loopt; de waarde telt"
    " naar rato van de dagen van het contract in dat jaar (de delen tellen op tot de"
    " totale waarde)."
)


# --- verlopend
# -------------------------------------------------------------------------------


def expiring(s: Session, today: date, weeks: int) -> dict[str, list[Case]]:
    """Per gemeente its active contracts that end from today up to `weeks` weeks ahead:
    signed ones first, then those sent and not yet signed back (each by end date)."""
    until = today + timedelta(weeks=weeks)
    cases = s.scalars(
        select(Case)
        .where(
            Case.state.in_(ACTIVE_CONTRACT),
            Case.einddatum >= today,
            Case.einddatum <= until,
        )
        .order_by(Case.einddatum, Case.id)
    )
    cases = sorted(
        cases, key=lambda c: c.state != CaseState.getekend.value
    )  # stable: keeps the date order
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(c.gemeente or "onbekend", []).append(c)
    return out


def expiring_mail_context(
    gemeente: str, cases: list[Case], today: date, weeks: int
) -> dict:
    """The expiry mail: signed contracts apart from those sent and not yet signed back
    (a contract is only in force once signed, so those need chasing as well as a
    follow-up)."""

    def line(c: Case) -> str:
        return (
            f"{c.id} – {printable(c.aanbieder or '') or 'aanbieder onbekend'} –"
            f" productcode {c.productcode or 'onbekend'} – loopt tot en met"
            f" {c.einddatum:%d-%m-%Y} (nog {(c.einddatum - today).days} dagen)"
        )

    signed = [c for c in cases if c.state == CaseState.getekend.value]
    return {
        "gemeente": gemeente,
        "weken": weeks,
        "datum": today.strftime("%d-%m-%Y"),
        "getekend": [line(c) for c in signed],
        "niet_getekend": [line(c) for c in cases if c not in signed],
        "status_getekend": status_text(CaseState.getekend.value),
        "status_niet_getekend": status_text(CaseState.contract_verstuurd.value),
    }


# --- monitoring
# ------------------------------------------------------------------------------


@dataclass
class GemeenteFigures:
    gemeente: str
    aanvragen: int = 0  # real requests (a form was read) with a case number of the year
    geweigerd: int = 0
    negatief: int = 0
    positief: int = 0
    contracten: int = 0  # contracts running on some day of the year, whenever requested
    waarde: Decimal = Decimal(0)  # those contracts' value in the year, pro rata by days
    redenen: Counter = field(default_factory=Counter)

    @property
    def in_behandeling(self) -> int:
        return self.aanvragen - self.geweigerd - self.negatief - self.positief


@dataclass
class Monitoring:
    year: int
    gemeenten: list[GemeenteFigures]
    geen_formulier: int = (
        0  # refused mails whose attachment was no form at all: no gemeente
    )

    def reasons(self) -> Counter:
        total: Counter = Counter()
        for f in self.gemeenten:
            total.update(f.redenen)
        return total


def _keyword_pattern(word: str) -> str:
    """A keyword of redenen.toml as a regex: whole words; a trailing `*` lets the last
    word go on ('wachtlijst*' also finds 'wachtlijsten'); the words of a phrase apart by
    any white space.
    """
    stem = word.removesuffix("*").strip()
    if not stem or "*" in stem:
        raise ConfigError(
            f"mappings/redenen.toml: '{word}' is geen geldig woord ('*' mag alleen aan"
            " het eind)."
        )
    body = r"\s+".join(re.escape(part) for part in stem.split())
    tail = r"\w*" if word.endswith("*") else ""
    return rf"(?<!\w){body}{tail}(?!\w)"


@lru_cache(maxsize=128)
def _matcher(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_keyword_pattern(w) for w in words), re.IGNORECASE)


def reason_groups_of(text: str | None, mappings: Mappings) -> list[str]:
    """The groups of redenen.toml whose keywords occur in the reason, on whole words;
    none: 'overig'.

    Raises ConfigError when a keyword has a `*` anywhere but at its end."""
    if not (text or "").strip():
        return [NO_REASON]
    groups = [
        name
        for name, words in mappings.reason_groups.items()
        if words and _matcher(tuple(words)).search(text or "")
    ]
    return groups or [OTHER]


def _share_in_year(value: Decimal, start: date, end: date, year: int) -> Decimal:
    """The part of a contract's value that falls in `year`, pro rata by days (start and
    end included), in cents. Rounded on the cumulative days, so the years' parts add up
    to the value.
    """
    days = (end - start).days + 1

    def upto(
        moment: date,
    ) -> Decimal:  # the value of the days before `moment`, in cents
        before = min(max((moment - start).days, 0), days)
        return (value * before / days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return upto(date(year + 1, 1, 1)) - upto(date(year, 1, 1))


def monitoring(s: Session, year: int, mappings: Mappings) -> Monitoring:
    """The year's figures per gemeente: requests by case number's year, contracts by the
    years they run in, reasons of every request whose form was read (also of refused
    ones)."""
    figures: dict[str, GemeenteFigures] = {
        g: GemeenteFigures(g) for g in mappings.region.gemeenten
    }
    result = Monitoring(year, [])

    def of(case: Case) -> GemeenteFigures:
        name = (
            printable(case.gemeente or "") or UNKNOWN_GEMEENTE
        )  # whatever the store holds: text only
        return figures.setdefault(name, GemeenteFigures(name))

    for c in s.scalars(select(Case).where(Case.year == year)):
        if (
            c.state == CaseState.geweigerd.value
            and c.record_json is None
            and c.gemeente is None
        ):
            result.geen_formulier += 1
            continue
        f = of(c)
        f.aanvragen += 1
        if c.state == CaseState.geweigerd.value:
            f.geweigerd += 1
        elif c.state == CaseState.negatief.value:
            f.negatief += 1
        elif c.state in CONTRACT_STATES:
            f.positief += 1
        if c.record_json:
            f.redenen.update(
                reason_groups_of(
                    Aanvraag.model_validate_json(
                        c.record_json
                    ).reden_niet_gecontracteerd,
                    mappings,
                )
            )
    first, last = date(year, 1, 1), date(year, 12, 31)
    for c in s.scalars(select(Case).where(Case.state.in_(CONTRACT_STATES))):
        value = Decimal(c.waarde) if c.waarde else Decimal(0)
        if c.startdatum and c.einddatum and c.startdatum <= c.einddatum:
            if c.startdatum > last or c.einddatum < first:
                continue
            share = _share_in_year(value, c.startdatum, c.einddatum, year)
        elif (
            c.year == year
        ):  # no period known: the whole value in the year it was requested
            share = value
        else:
            continue
        f = of(c)
        f.contracten += 1
        f.waarde += share
    result.gemeenten = sorted(figures.values(), key=lambda f: f.gemeente)
    return result


def _axis_step(highest: float) -> int:
    """A whole-number step for a count axis with at most about ten gridlines: 1, 2, 5,
    10, 20, …"""
    step = 1
    while highest / step > 10:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step


def _bar_chart(
    ws: Worksheet,
    title: str,
    first_row: int,
    last_row: int,
    columns: list[int],
    horizontal: bool = False,
):
    """A native Excel bar chart of count columns of `ws` (headers in row first_row - 1,
    labels in column A): whole-number value axis from 0, labels read from the cells."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping = "clustered"
    chart.title = title
    for col in columns:
        chart.add_data(
            Reference(ws, min_col=col, min_row=first_row - 1, max_row=last_row),
            titles_from_data=True,
        )
    chart.set_categories(Reference(ws, min_col=1, min_row=first_row, max_row=last_row))
    highest = max(
        [
            ws.cell(r, c).value or 0
            for r in range(first_row, last_row + 1)
            for c in columns
        ]
        + [1]
    )
    step = _axis_step(highest)
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = -(-highest // step) * step
    chart.y_axis.majorUnit = step
    chart.y_axis.number_format = "0"
    chart.y_axis.title = "aantal"
    if horizontal:
        # the largest group on top, as the table lists them
        chart.x_axis.scaling.orientation = "maxMin"
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False  # openpyxl 3.1 hides axes unless told
    if len(columns) == 1:
        chart.legend = None
    chart.width, chart.height = 24, 10  # cm: the printed page's width in landscape
    return chart


def _print_setup(ws: Worksheet, title: str) -> None:
    """Landscape A4, one page wide (as many pages high as needed), the header row on
    every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "Pagina &P van &N"


def write_monitoring(figures: Monitoring, folder: Path) -> Path:
    """`monitoring <year>.xlsx` in `folder`: a sheet per gemeente with its chart, a
    sheet of reasons."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    year, rows = figures.year, figures.gemeenten
    wb = Workbook()
    ws = wb.active
    ws.title = f"Per gemeente {year}"
    ws.append(
        [
            "gemeente",
            "aanvragen",
            "geweigerd (onvolledig)",
            "negatief advies",
            "positief / contract",
            "in behandeling",
            f"lopende contracten in {year}",
            f"waarde in {year} (€, naar rato)",
        ]
    )
    for f in rows:
        ws.append(
            [
                f.gemeente,
                f.aanvragen,
                f.geweigerd,
                f.negatief,
                f.positief,
                f.in_behandeling,
                f.contracten,
                f.waarde,
            ]
        )
    ws.append(
        [
            "totaal",
            *(
                sum(getattr(f, k) for f in rows)
                for k in (
                    "aanvragen",
                    "geweigerd",
                    "negatief",
                    "positief",
                    "in_behandeling",
                    "contracten",
                    "waarde",
                )
            ),
        ]
    )
    total_row = ws.max_row
    for r in range(2, total_row + 1):
        ws.cell(r, 8).number_format = "#,##0.00"
    for cell in (*ws[1], *ws[total_row]):
        cell.font = Font(bold=True)
    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 45  # three lines of the wrapped headers
    ws.append([])
    ws.append([NO_FORM, figures.geen_formulier, NO_FORM_NOTE])
    ws.append([PRO_RATA_NOTE])
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGH", (24, 11, 13, 10, 11, 12, 13, 18)):
        ws.column_dimensions[col].width = width
    if rows:
        ws.add_chart(
            _bar_chart(
                ws,
                f"Maatwerkaanvragen per gemeente in {year}",
                2,
                1 + len(rows),
                [2, 5],
            ),
            f"A{ws.max_row + 2}",
        )
    _print_setup(ws, f"Maatwerk {year} per gemeente")

    reasons = figures.reasons()
    rs = wb.create_sheet("Redenen")
    rs.append(
        [
            "reden om niet te kiezen voor een gecontracteerde aanbieder",
            "aantal",
            *[f.gemeente for f in rows],
        ]
    )
    for cell in rs[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rs.row_dimensions[1].height = 30
    for reason, count in reasons.most_common():
        rs.append([reason, count, *[f.redenen.get(reason, 0) for f in rows]])
    rs.column_dimensions["A"].width = 44
    for col in range(3, 3 + len(rows)):
        rs.column_dimensions[get_column_letter(col)].width = 13
    if reasons:
        rs.add_chart(
            _bar_chart(
                rs,
                f"Redenen in {year} (tekorten in het aanbod)",
                2,
                1 + len(reasons),
                [2],
                horizontal=True,
            ),
            f"A{rs.max_row + 3}",
        )
    _print_setup(
        rs,
        f"Maatwerk {year}: redenen om niet te kiezen voor een gecontracteerde"
        " aanbieder",
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    wb.save(out)
    path = folder / f"monitoring {year}.xlsx"
    _atomic_write(path, out.getvalue())
    return path


def figures_summary(figures: Monitoring) -> list[tuple[str, int, int, int, str]]:
    """(gemeente, aanvragen, positief, lopende contracten, waarde in het jaar) for the
    terminal."""
    return [
        (f.gemeente, f.aanvragen, f.positief, f.contracten, euro(f.waarde))
        for f in figures.gemeenten
    ]
