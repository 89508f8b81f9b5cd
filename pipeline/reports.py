"""Reports for the municipalities and ICM (seed 001 steps 13–14).

- verlopend: each gemeente gets a mail listing its contracts that end within N weeks;
  `maatwerk report verlopend` or on schedule inside `maatwerk run` (once per ISO week).
- monitoring: per gemeente the number of requests, approvals, total value, and the reasons
  given for not choosing a contracted provider (gaps in the care offer), as an xlsx with charts.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Optional

from sqlalchemy import extract as sql_extract, select
from sqlalchemy.orm import Session

from .index import CONTRACT_STATES, _atomic_write
from .mappings import Mappings
from .models import Aanvraag, CaseState
from .render import euro
from .store import Case

ACTIVE_CONTRACT = (CaseState.contract_verstuurd.value, CaseState.getekend.value)
OTHER = "overig"


# --- verlopend -------------------------------------------------------------------------------

def expiring(s: Session, today: date, weeks: int) -> dict[str, list[Case]]:
    """Per gemeente its active contracts that end from today up to `weeks` weeks ahead."""
    until = today + timedelta(weeks=weeks)
    cases = s.scalars(select(Case).where(Case.state.in_(ACTIVE_CONTRACT), Case.einddatum >= today,
                                         Case.einddatum <= until).order_by(Case.einddatum, Case.id))
    out: dict[str, list[Case]] = {}
    for c in cases:
        out.setdefault(c.gemeente or "onbekend", []).append(c)
    return out


def expiring_mail_context(gemeente: str, cases: list[Case], today: date, weeks: int) -> dict:
    return {
        "gemeente": gemeente, "weken": weeks, "datum": today.strftime("%d-%m-%Y"),
        "regels": [f"{c.id}  {c.aanbieder or '—'}  productcode {c.productcode or '—'}  "
                   f"loopt tot {c.einddatum:%d-%m-%Y} (nog {(c.einddatum - today).days} dagen)"
                   f"{'' if c.state == CaseState.getekend.value else '  — nog niet getekend retour'}"
                   for c in cases],
    }


# --- monitoring ------------------------------------------------------------------------------

@dataclass
class GemeenteFigures:
    gemeente: str
    aanvragen: int = 0
    geweigerd: int = 0
    negatief: int = 0
    positief: int = 0
    waarde: Decimal = Decimal(0)
    redenen: Counter = field(default_factory=Counter)


def reason_groups_of(text: Optional[str], mappings: Mappings) -> list[str]:
    t = (text or "").lower()
    groups = [name for name, words in mappings.reason_groups.items() if any(w in t for w in words)]
    return groups or [OTHER]


def monitoring(s: Session, year: int, mappings: Mappings) -> list[GemeenteFigures]:
    figures: dict[str, GemeenteFigures] = {g: GemeenteFigures(g) for g in mappings.region.gemeenten}
    for c in s.scalars(select(Case).where(sql_extract("year", Case.received_at) == year)):
        f = figures.setdefault(c.gemeente or "onbekend", GemeenteFigures(c.gemeente or "onbekend"))
        f.aanvragen += 1
        if c.state == CaseState.geweigerd.value:
            f.geweigerd += 1
            continue
        if c.state == CaseState.negatief.value:
            f.negatief += 1
        elif c.state in CONTRACT_STATES:
            f.positief += 1
            f.waarde += Decimal(c.waarde) if c.waarde else Decimal(0)
        record = Aanvraag.model_validate_json(c.record_json) if c.record_json else None
        if record is not None:
            f.redenen.update(reason_groups_of(record.reden_niet_gecontracteerd, mappings))
    return sorted(figures.values(), key=lambda f: f.gemeente)


def _chart(title: str, labels: list[str], series: dict[str, list[float]], horizontal: bool = False) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    n = len(series)
    width = 0.8 / max(n, 1)
    for i, (name, values) in enumerate(series.items()):
        positions = [x + i * width for x in range(len(labels))]
        (ax.barh if horizontal else ax.bar)(positions, values, width, label=name)
    ticks = [x + width * (n - 1) / 2 for x in range(len(labels))]
    if horizontal:
        ax.set_yticks(ticks, labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(ticks, labels, rotation=15, ha="right")
    ax.set_title(title)
    if n > 1:
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_monitoring(figures: list[GemeenteFigures], year: int, folder: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as XlImage
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"Per gemeente {year}"
    header = ["gemeente", "aanvragen", "geweigerd (onvolledig)", "negatief advies", "positief / contract",
              "totale waarde (€)"]
    ws.append(header)
    for f in figures:
        ws.append([f.gemeente, f.aanvragen, f.geweigerd, f.negatief, f.positief, f.waarde])
        ws.cell(ws.max_row, 6).number_format = "#,##0.00"
    ws.append(["totaal", *(sum(getattr(f, k) for f in figures) for k in ("aanvragen", "geweigerd", "negatief",
                                                                          "positief", "waarde"))])
    ws.cell(ws.max_row, 6).number_format = "#,##0.00"
    for row in (ws[1], ws[ws.max_row]):
        for cell in row:
            cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEF", (24, 11, 22, 16, 20, 18)):
        ws.column_dimensions[col].width = width
    names = [f.gemeente for f in figures]
    chart = _chart(f"Maatwerkaanvragen per gemeente in {year}", names,
                   {"aanvragen": [f.aanvragen for f in figures], "positief": [f.positief for f in figures]})
    ws.add_image(XlImage(io.BytesIO(chart)), "H2")

    reasons: Counter = Counter()
    for f in figures:
        reasons.update(f.redenen)
    rs = wb.create_sheet("Redenen")
    rs.append(["reden om niet te kiezen voor een gecontracteerde aanbieder", "aantal",
               *[f.gemeente for f in figures]])
    for cell in rs[1]:
        cell.font = Font(bold=True)
    for reason, count in reasons.most_common():
        rs.append([reason, count, *[f.redenen.get(reason, 0) for f in figures]])
    rs.column_dimensions["A"].width = 48
    if reasons:
        top = reasons.most_common()
        rs.add_image(XlImage(io.BytesIO(_chart("Redenen (tekorten in het aanbod)", [r for r, _ in top],
                                                {"aantal": [n for _, n in top]}, horizontal=True))), "A12")
    folder.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    wb.save(out)
    path = folder / f"monitoring {year}.xlsx"
    _atomic_write(path, out.getvalue())
    return path


def figures_summary(figures: list[GemeenteFigures]) -> list[tuple[str, int, int, str]]:
    return [(f.gemeente, f.aanvragen, f.positief, euro(f.waarde)) for f in figures]
