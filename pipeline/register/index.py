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
import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.register.folder import FILE_MODE
from pipeline.states import CONTRACT_STATES, CONTRACT_STATUS
from pipeline.store import Case
from pipeline.text import printable

COLUMNS = [
    "zaak",
    "gemeente",
    "aanbieder",
    "productcode",
    "start",
    "einde",
    "waarde (€)",
    "status",
    "dagen tot einde",
    "getekend op",
    "ondertekenaar",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def contract_rows(s: Session, today: date) -> list[list[Any]]:
    cases = s.scalars(
        select(Case)
        .where(Case.state.in_(CONTRACT_STATES))
        .order_by(Case.einddatum, Case.id)
    )
    return [
        [
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
        ]
        for c in cases
    ]


def status_text(state: str) -> str:
    """A contract state in Dutch words ("verstuurd, nog niet getekend"); other states as
    they are."""
    return CONTRACT_STATUS.get(state, state)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)  # the index is a view: replacing it is intended


def write_index(register_root: Path, rows: list[list[Any]]) -> tuple[Path, Path]:
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
    _atomic_write(xlsx_path, xlsx.getvalue())
    _atomic_write(csv_path, text.getvalue().encode("utf-8-sig"))
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
