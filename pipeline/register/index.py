"""The register index: `register/register.xlsx` and `register/register.csv`, a row per
contract, rebuilt from the store after every change (the store is the truth; the index
is a view).

Cell text that a spreadsheet would run as a formula (starting with = + - @) is
neutralised: a text cell in the xlsx, a leading apostrophe in the CSV. Control
characters are removed from every cell first: the index is rebuilt from whatever the
store holds, and one bad value (which openpyxl refuses) must never keep it from being
rebuilt.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import astuple, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.register.folder import atomic_write
from pipeline.states import CONTRACT_STATUS, CaseState
from pipeline.store import Case
from pipeline.text import printable

log = logging.getLogger(f"maatwerk.{__name__}")

# the index's columns, in order
COLUMNS: Final = "zaak gemeente aanbieder productcode start einde".split() + [
    "waarde (€)",
    "status",
    "dagen tot einde",
    "getekend op",
    "ondertekenaar",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ContractRow:
    """A contract as the index (and the web page Register) lists it; the index's
    columns in order."""

    zaak: str
    gemeente: str | None
    aanbieder: str | None
    productcode: str | None
    start: date | None
    einde: date | None
    waarde: Decimal | None
    status: str
    dagen: int | None  # until the end date
    getekend_op: date | None
    ondertekenaar: str | None


def contract_row(c: Case, today: date) -> ContractRow:
    return ContractRow(
        c.id,
        c.gemeente,
        c.aanbieder,
        c.productcode,
        c.startdatum,
        c.einddatum,
        Decimal(c.waarde) if c.waarde else None,
        status_text(c.state),
        (c.einddatum - today).days if c.einddatum else None,
        c.getekend_op,
        c.ondertekenaar,
    )


def contract_rows(s: Session, today: date) -> list[list[Any]]:
    """The index's rows: a row per contract, by end date."""
    return [list(astuple(contract_row(c, today))) for c in store.contract_cases(s)]


def status_text(state: str) -> str:
    """A contract state in Dutch words ("verstuurd, nog niet getekend"); other states as
    they are."""
    # a CaseState is a str: any state's text finds its entry
    return CONTRACT_STATUS.get(cast(CaseState, state), state)


def write_index(register_root: Path, rows: list[list[Any]]) -> tuple[Path, Path]:
    """Write register.xlsx and register.csv under `register_root`; their paths."""
    from openpyxl import (
        Workbook,  # imported here: 30 MB the intake process need not carry
    )
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    register_root.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Contracten"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    rows = [[_cell(v) for v in row] for row in rows]
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"  # text, never a formula
                cell.quotePrefix = True
            elif isinstance(cell.value, date):
                cell.number_format = "dd-mm-yyyy"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, ws.max_row)}"
    for i, width in enumerate((14, 20, 34, 12, 12, 12, 14, 28, 15, 12, 30), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    xlsx = io.BytesIO()
    wb.save(xlsx)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")  # what Dutch Excel opens as columns
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    xlsx_path, csv_path = (
        register_root / "register.xlsx",
        register_root / "register.csv",
    )
    atomic_write(xlsx_path, xlsx.getvalue())
    atomic_write(csv_path, text.getvalue().encode("utf-8-sig"))
    return xlsx_path, csv_path


def _cell(value: Any) -> Any:
    """A value as the index holds it: text without control characters, other values as
    they are."""
    return printable(value) if isinstance(value, str) else value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
