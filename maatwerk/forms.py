"""`maatwerk extract` and `maatwerk bench extract`: one form read and shown, and the
reading measured against forms with their expected fields."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from maatwerk.printing import esc, lit, out
from maatwerk.shared import ConfigOpt, settings_of
from pipeline.errors import ExitCode, FolderUnavailable

if TYPE_CHECKING:
    from pipeline.accuracy import LayoutResult

bench_app = typer.Typer(
    help=(
        "Metingen: nauwkeurigheid en snelheid.\n\n"
        "Voorbeeld: maatwerk bench extract formulieren/"
    ),
    no_args_is_help=True,
)
BENCH_COLUMNS = (
    "layout",
    "formulieren",
    "velden",
    "goed",
    "nauwkeurigheid",
    "direct door",
    "mislukt",
    "stil fout",
)


def extract(
    file: Path = typer.Argument(
        ...,
        metavar="FORMULIER",
        help="Het aanvraagformulier (.docx of .pdf)",
        dir_okay=False,
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print het canonieke record als JSON."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Lees één formulier en toon de velden en meldingen (exit 11 als het niet te lezen
    is).

    Voorbeeld: maatwerk extract aanvraag.docx --json
    """
    from pipeline.region.profile import load_mappings
    from pipeline.stages.extract import extract_file
    from pipeline.stages.validate import validate

    settings = settings_of(config)
    mappings = load_mappings(settings.region.mappings_dir, settings.region.profile)
    extraction = extract_file(file, mappings, settings.reading)
    extraction.meldingen.extend(
        validate(extraction.record, mappings, date.today(), extraction.confidence)
    )
    data = extraction.as_json_dict()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{esc(file.name)} ({esc(extraction.layout)})")
    table.add_column("veld")
    table.add_column("waarde")

    def rows(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                rows(f"{prefix}{k}.", v)
        else:
            table.add_row(lit(prefix.rstrip(".")), lit(value))

    rows("", {k: v for k, v in data.items() if k != "meldingen"})
    out.print(table)
    for m in extraction.meldingen:
        out.print(lit(f"{m.ernst}: {m.tekst}"))  # the question is named in the text


@bench_app.command("extract")
def bench_extract(
    folder: Path = typer.Argument(
        ...,
        metavar="MAP",
        help="Map met formulieren en per formulier de verwachte .json",
        file_okay=False,
        exists=True,
    ),
    verschillen: Path | None = typer.Option(
        None,
        "--verschillen",
        help=(
            "Schrijf de afwijkende velden naar dit bestand "
            "(standaard: verschillen.tsv in de huidige map)."
        ),
    ),
    drempels: bool = typer.Option(
        False,
        "--drempels",
        help=(
            "Eindig met code 1 als een drempel niet wordt gehaald "
            "(digitaal ≥ 99,5 %, scans ≥ 97 %, direct door ≥ 95 %, "
            "stil fout ≤ 0,2 %, geen mislukte formulieren)."
        ),
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Meet per layout hoeveel velden goed worden gelezen, hoeveel formulieren direct
    door kunnen en hoeveel velden stil fout zijn (fout en geen melding die het veld
    noemt).

    Voorbeeld: maatwerk bench extract formulieren/
    """
    from pipeline.accuracy import measure, shortfalls, write_differences
    from pipeline.region.profile import load_mappings

    if not folder.is_dir():  # Typer lets a device through (/dev/null)
        raise typer.BadParameter(f"'{folder}' is geen map", param_hint="'MAP'")
    settings = settings_of(config)
    mappings = load_mappings(settings.region.mappings_dir, settings.region.profile)
    try:
        results, layouts = measure(folder, mappings, settings.reading)
    except OSError as exc:
        raise FolderUnavailable("de map", folder) from exc
    _print_accuracy(folder, layouts)
    target = verschillen or Path("verschillen.tsv")
    try:
        write_differences(results, target)
    except OSError as exc:
        raise FolderUnavailable("de map", target.parent.resolve()) from exc
    out.print(f"Afwijkende velden: {esc(target)}")
    if drempels:
        missed = shortfalls(layouts)
        for line in missed:
            out.print(f"Drempel niet gehaald: {esc(line)}")
        if missed:
            raise typer.Exit(ExitCode.error)
        out.print("Alle drempels gehaald.")


def _print_accuracy(folder: Path, layouts: dict[str, LayoutResult]) -> None:
    """A row per layout, then digital forms, scans and all together."""
    from pipeline.accuracy import total

    table = Table(title=f"Nauwkeurigheid extractie – {esc(folder)}")
    for col in BENCH_COLUMNS:
        table.add_column(col, justify="left" if col == "layout" else "right")
    rows = sorted(layouts.values(), key=lambda a: a.layout)
    for agg in rows + [
        total(layouts, scans=False),
        total(layouts, scans=True),
        total(layouts),
    ]:
        table.add_row(
            lit(agg.layout),
            str(agg.files),
            str(agg.fields),
            str(agg.right),
            f"{agg.accuracy:.1%}",
            f"{agg.straight}/{agg.files} ({agg.straight_rate:.0%})",
            str(agg.failed),
            f"{agg.silent} ({agg.silent / agg.fields if agg.fields else 0:.1%})",
        )
    out.print(table)
