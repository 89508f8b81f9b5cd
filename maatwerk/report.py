"""`maatwerk report verlopend` and `report monitoring`: the reports for the
municipalities and ICM (pipeline/reports/)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from maatwerk.printing import esc, lit, out
from maatwerk.shared import (
    ConfigOpt,
    opened_pipeline,
    person,
    settings_of,
    store_session,
)
from pipeline.errors import FolderUnavailable

report_app = typer.Typer(
    help="Rapportages voor gemeenten en ICM.\n\nVoorbeeld: maatwerk report verlopend",
    no_args_is_help=True,
)


@report_app.command("verlopend")
def report_expiring(
    weeks: int | None = typer.Option(
        None,
        "--weeks",
        help="Aflopend binnen zoveel weken (standaard uit de configuratie).",
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Mail elke gemeente de maatwerkovereenkomsten die binnenkort aflopen.

    Voorbeeld: maatwerk report verlopend --weeks 12
    """
    with opened_pipeline(settings_of(config)) as pipeline:
        sent = pipeline.send_expiry_reports(weeks, wie=person())
    out.print(
        f"{sent} gemeente(n) gemaild."
        if sent
        else "Geen overeenkomsten die binnenkort aflopen."
    )


@report_app.command("monitoring")
def report_monitoring(
    year: int = typer.Option(..., "--year", help="Het jaar, bijv. 2027."),
    config: Path | None = ConfigOpt,
) -> None:
    """Aanvragen, goedkeuringen, lopende contracten met hun waarde in het jaar en
    redenen per gemeente, als xlsx met Excel-grafieken (liggend, één pagina breed af te
    drukken).

    Voorbeeld: maatwerk report monitoring --year 2027
    """
    from pipeline.region.profile import load_mappings
    from pipeline.reports.monitoring import figures_summary, monitoring
    from pipeline.reports.workbook import write_monitoring

    settings = settings_of(config)
    mappings = load_mappings(settings.region.mappings_dir, settings.region.profile)
    with store_session(settings) as s:
        figures = monitoring(s, year, mappings)
    folder = settings.register_.path / "rapportages"
    try:
        path = write_monitoring(figures, folder)
    except OSError as exc:
        raise FolderUnavailable("de registermap", folder) from exc
    table = Table(title=f"Maatwerk {year} per gemeente")
    for col in (
        "gemeente",
        "aanvragen",
        "positief",
        "lopende contracten",
        f"waarde in {year}",
    ):
        table.add_column(col, justify="left" if col == "gemeente" else "right")
    for row in figures_summary(figures):
        table.add_row(*(lit(v) for v in row))
    out.print(table)
    if figures.geen_formulier:
        out.print(
            "Geen formulier (lege pagina, versleutelde PDF, brief):"
            f" {figures.geen_formulier}; niet meegeteld bij de aanvragen."
        )
    out.print(f"Rapport: {esc(path)}")
