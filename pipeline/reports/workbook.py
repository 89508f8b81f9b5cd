"""The monitoring figures as an xlsx with native Excel charts, set up to print: a sheet
per gemeente with its chart, a sheet of reasons."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pipeline.register.folder import atomic_write
from pipeline.reports.monitoring import Monitoring

if TYPE_CHECKING:
    from openpyxl.chart import BarChart
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

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
# the count columns of the gemeente sheet after its name, as GemeenteFigures names them
COUNTED: Final = (
    "aanvragen",
    "geweigerd",
    "negatief",
    "positief",
    "in_behandeling",
    "contracten",
    "waarde",
)


def write_monitoring(figures: Monitoring, folder: Path) -> Path:
    """`monitoring <year>.xlsx` in `folder`: a sheet per gemeente with its chart, a
    sheet of reasons.

    Raises OSError when the folder cannot be made or written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / monitoring_filename(figures)
    atomic_write(path, monitoring_workbook(figures))
    return path


def monitoring_filename(figures: Monitoring) -> str:
    return f"monitoring {figures.year}.xlsx"


def monitoring_workbook(figures: Monitoring) -> bytes:
    """The monitoring workbook (as `write_monitoring` files it) as bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    _gemeente_sheet(wb, figures)
    _reasons_sheet(wb, figures)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _gemeente_sheet(wb: Workbook, figures: Monitoring) -> None:
    from openpyxl.styles import Alignment, Font

    year, rows = figures.year, figures.gemeenten
    ws = wb.active
    assert ws is not None  # a new workbook has its sheet
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
        ws.append([f.gemeente, *(getattr(f, k) for k in COUNTED)])
    ws.append(["totaal", *(sum(getattr(f, k) for f in rows) for k in COUNTED)])
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
        chart = _bar_chart(
            ws, f"Maatwerkaanvragen per gemeente in {year}", 2, 1 + len(rows), [2, 5]
        )
        ws.add_chart(chart, f"A{ws.max_row + 2}")
    _print_setup(ws, f"Maatwerk {year} per gemeente")


def _reasons_sheet(wb: Workbook, figures: Monitoring) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    year, rows = figures.year, figures.gemeenten
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
        chart = _bar_chart(
            rs,
            f"Redenen in {year} (tekorten in het aanbod)",
            2,
            1 + len(reasons),
            [2],
            horizontal=True,
        )
        rs.add_chart(chart, f"A{rs.max_row + 3}")
    _print_setup(
        rs,
        f"Maatwerk {year}: redenen om niet te kiezen voor een gecontracteerde"
        " aanbieder",
    )


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
) -> BarChart:
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
    counts = [
        ws.cell(r, c).value or 0
        for r in range(first_row, last_row + 1)
        for c in columns
    ]
    highest = max([*counts, 1])
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
