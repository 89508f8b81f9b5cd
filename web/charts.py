"""The Monitoring page's charts: horizontal bar charts drawn as SVG by the template
`_chart.html` (no JavaScript needed to read them; every chart also has its table).
This module only computes where each bar goes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from pipeline.reports.monitoring import Monitoring

LABEL_WIDTH: Final = 190  # room for the gemeente's name left of the bars
BAR_AREA: Final = 420
BAR_HEIGHT: Final = 16
GROUP_GAP: Final = 12
# colours with at least 3:1 contrast against white (WCAG 1.4.11)
COLOURS: Final = ("#154273", "#2b6a2f", "#a4262c", "#595959")


@dataclass(frozen=True)
class Series:
    naam: str
    kleur: str


@dataclass(frozen=True)
class Bar:
    y: int
    width: int
    kleur: str
    waarde: str  # as shown at the end of the bar


@dataclass(frozen=True)
class Group:
    label: str
    y: int  # of the label, centred on the group
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    id: str
    titel: str
    series: list[Series]
    groups: list[Group]
    height: int
    width: int = LABEL_WIDTH + BAR_AREA + 110


def of(figures: Monitoring) -> list[Chart]:
    """Requests and decisions, value, and reasons for the year."""
    g = figures.gemeenten
    reasons = figures.reasons().most_common()
    return [
        chart(
            "besluiten",
            f"Aanvragen en besluiten per gemeente in {figures.year}",
            ["aanvragen", "positief", "negatief", "geweigerd"],
            [
                (f.gemeente, [f.aanvragen, f.positief, f.negatief, f.geweigerd])
                for f in g
            ],
        ),
        chart(
            "waarde",
            f"Lopende contracten: waarde in {figures.year} per gemeente",
            ["waarde (€)"],
            [(f.gemeente, [f.waarde]) for f in g],
        ),
        chart(
            "redenen",
            f"Redenen voor maatwerk in {figures.year}",
            ["aanvragen"],
            [(reason, [n]) for reason, n in reasons],
        ),
    ]


def chart(
    id: str,
    titel: str,
    names: list[str],
    rows: list[tuple[str, list[int | Decimal]]],
) -> Chart:
    series = [Series(n, COLOURS[i % len(COLOURS)]) for i, n in enumerate(names)]
    highest = max((v for _, values in rows for v in values), default=0) or 1
    groups, y = [], GROUP_GAP
    for label, values in rows:
        bars = [
            Bar(
                y + i * BAR_HEIGHT,
                round(BAR_AREA * float(v) / float(highest)),
                s.kleur,
                _shown(v),
            )
            for i, (s, v) in enumerate(zip(series, values))
        ]
        groups.append(Group(label, y + len(values) * BAR_HEIGHT // 2, bars))
        y += len(values) * BAR_HEIGHT + GROUP_GAP
    return Chart(id, titel, series, groups, max(y, 3 * GROUP_GAP))


def _shown(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.0f}".replace(",", ".")
    return str(value)
