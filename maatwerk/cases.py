"""`maatwerk status`, `case`, `inzage` and `opschonen`: the cases as the store holds
them (the rows come from pipeline/reports/), and their personal data removed when
their time is up."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from maatwerk.printing import esc, lit, local, out
from maatwerk.shared import (
    ConfigOpt,
    opened_pipeline,
    person,
    settings_of,
    store_session,
)
from pipeline.config import Settings
from pipeline.errors import ExitCode
from pipeline.reports.case import CaseView, inzage_log, view_case
from pipeline.reports.status import (
    Gezondheid,
    Status,
    WorkerRow,
    status,
    status_json,
    status_prometheus,
)

CaseArg = typer.Argument(
    ..., metavar="ZAAKNUMMER", help="Zaaknummer, bijv. MW-2026-0001"
)
STATUS_COLUMNS = (
    "zaak",
    "status",
    "gemeente",
    "aanbieder",
    "spoed",
    "wacht op",
    "uiterlijk",
)


def status_cmd(
    as_json: bool = typer.Option(
        False, "--json", help="Als JSON, voor monitoring (Zabbix, Nagios, scripts)."
    ),
    prometheus: bool = typer.Option(
        False,
        "--prometheus",
        help="Als Prometheus-tekstbestand (node_exporter textfile collector).",
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Toon de openstaande zaken met hun status en adviestermijn, en hoe de verwerkers
    ervoor staan.

    Exitcode: 0 gezond, 12 verminderd (een verwerker wacht op een storing), 13 buiten
    werking (er draait geen verwerker).

    Voorbeeld: maatwerk --config /etc/maatwerk/maatwerk.toml status --json
    """
    settings = settings_of(config)
    today = datetime.now(ZoneInfo(settings.advice.timezone)).date()
    with store_session(settings) as s:
        st = status(s, today, datetime.now(UTC))
    if as_json:
        sys.stdout.write(json.dumps(status_json(st), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    elif prometheus:
        sys.stdout.write(status_prometheus(st))
    else:
        _print_cases(st)
        _print_mail(st, settings)
        _print_workers(st.workers, settings)
        health = st.health
        out.print(
            f"Gezondheid: {health.state}"
            + "".join(f"; {esc(r)}" for r in health.reasons)
        )
    raise typer.Exit(HEALTH_EXIT[st.health.state])


HEALTH_EXIT = {
    Gezondheid.gezond: ExitCode.ok,
    Gezondheid.verminderd: ExitCode.degraded,
    Gezondheid.buiten_werking: ExitCode.down,
}


def _print_cases(st: Status) -> None:
    if not st.cases:
        out.print("Geen openstaande zaken.")
        return
    table = Table(title="Openstaande zaken")
    for col in STATUS_COLUMNS:
        table.add_column(col, no_wrap=col in ("zaak", "status", "uiterlijk"))
    for row in st.cases:
        due = row.uiterlijk.isoformat() if row.uiterlijk else "—"
        table.add_row(
            lit(row.zaak),
            lit(row.status),
            lit(row.gemeente),
            lit(row.aanbieder),
            row.spoed,
            lit(row.wacht_op),
            f"[bold red]{due} TE LAAT[/bold red]" if row.te_laat else due,
        )
    out.print(table)
    if st.late:
        out.print(f"[bold red]{st.late} zaak/zaken over de termijn.[/bold red]")


def _print_mail(st: Status, settings: Settings) -> None:
    """Mail waiting to be sent, left in the inbox by an outage, or set aside."""
    if st.unsent_since is not None:
        out.print(
            f"{st.unsent} mail(s) wachten op verzending sinds"
            f" {local(st.unsent_since, settings)}"
            + (
                f" (laatste fout: {esc(', '.join(st.send_errors))})."
                if st.send_errors
                else "."
            )
        )
    for outage in st.outages:
        out.print(
            f"[bold red]Mail wacht op: {esc(outage.wat)} niet beschikbaar sinds"
            f" {local(outage.since, settings)}; {outage.mails}"
            " mail(s) blijven in de inbox.[/bold red]"
        )
    if st.last_set_aside is not None:
        out.print(
            f"[bold red]{st.set_aside} mail(s) na herhaald mislukken apart gezet in"
            f" Quarantaine (laatste {local(st.last_set_aside, settings)});"
            " zie 'maatwerk quarantaine'.[/bold red]"
        )


def _print_workers(workers: list[WorkerRow], settings: Settings) -> None:
    """Each running `maatwerk run`: working, or what an outage makes it wait for."""
    if not workers:
        out.print("Er draait geen 'maatwerk run'.")
        return
    for w in workers:
        if w.silent:
            state = (
                "[yellow]niets meer van gehoord sinds"
                f" {local(w.seen_at, settings)}[/yellow]"
            )
        elif w.waiting_on:
            state = (
                f"[bold red]wacht op {esc(w.waiting_on)} sinds "
                f"{local(w.waiting_since or w.seen_at, settings)}[/bold red]"
            )
        else:
            state = "werkt"
        out.print(f"Verwerker {esc(w.id)}: {state}")


def case_cmd(
    case_id: str = CaseArg,
    reden: str = typer.Option(
        ...,
        "--reden",
        help=(
            "Waarom u de zaak inziet (komt in het inzagelogboek), "
            "bijv. 'vraag van de gemeente Zeist'."
        ),
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Toon de geschiedenis van één zaak (wie, wanneer en waarom komt in het
    inzagelogboek).

    Voorbeeld: maatwerk case MW-2026-0001 --reden "vraag van de gemeente Zeist"
    """
    if not reden.strip():
        raise typer.BadParameter("geef een reden op", param_hint="--reden")
    settings = settings_of(config)
    with store_session(settings) as s:
        case = view_case(s, case_id, wie=person(), reden=reden.strip())
    _print_case(case, settings)


def _print_case(c: CaseView, settings: Settings) -> None:
    out.print(
        f"[bold]{esc(c.zaak)}[/bold]  status: {esc(c.status)} "
        f" gemeente: {esc(c.gemeente or '—')}  aanbieder:"
        f" {esc(c.aanbieder or '—')}"
    )
    out.print(
        f"Ontvangen: {local(c.received_at, settings)}  spoed:"
        f" {'ja' if c.spoed else 'nee'}  advies uiterlijk:"
        f" {c.deadline.isoformat() if c.deadline else '—'}"
    )
    if c.register_dir:
        out.print(f"Dossier: {esc(c.register_dir)}")
    for m in c.meldingen:
        out.print(f"  {esc(m.ernst)}: {esc(m.tekst)}")
    table = Table(title="Geschiedenis")
    for col in ("wanneer", "van", "naar", "bron", "wat"):
        table.add_column(col, no_wrap=col in ("wanneer", "naar"))
    for e in c.events:
        table.add_row(
            local(e.at, settings),
            lit(e.from_state),
            lit(e.to_state),
            lit(e.source),
            lit(e.what),
        )
    out.print(table)


def inzage(case_id: str = CaseArg, config: Path | None = ConfigOpt) -> None:
    """Toon wie de persoonsgegevens van een zaak heeft verwerkt of ingezien, wanneer en
    waarom.

    Voorbeeld: maatwerk inzage MW-2026-0001
    """
    settings = settings_of(config)
    with store_session(settings) as s:
        rows = inzage_log(s, case_id)
    table = Table(title=f"Inzagelogboek {esc(case_id.strip().upper())}")
    for col in ("wanneer", "wie", "wat", "waarom", "bron"):
        table.add_column(col, no_wrap=col == "wanneer")
    for r in rows:
        table.add_row(
            local(r.at, settings), lit(r.wie), lit(r.actie), lit(r.reden), lit(r.bron)
        )
    out.print(table)


def opschonen(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Toon alleen welke zaken aan de beurt zijn."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Verwijder de persoonsgegevens van afgesloten zaken na de bewaartermijn (\\[retention] months).

    Het getekende contract blijft in het register; zaaknummer, gemeente, aanbieder, data en waarde blijven voor de cijfers. 'maatwerk run' doet dit ook zelf, eens per dag.

    Voorbeeld: maatwerk opschonen --dry-run
    """  # noqa: E501
    settings = settings_of(config)
    with opened_pipeline(settings) as pipeline:
        result = pipeline.opschonen(dry_run=dry_run, wie=person())
    if dry_run:
        out.print(
            f"{len(result.cases)} zaak/zaken voorbij de bewaartermijn van"
            f" {settings.retention.months} maanden"
            + (": " + esc(", ".join(result.cases)) if result.cases else ".")
        )
    else:
        out.print(
            f"{len(result.cases)} zaak/zaken opgeschoond: {result.files} bestand(en) en"
            f" {result.mails} mail(s) verwijderd; getekende contracten blijven in het"
            " register."
        )
