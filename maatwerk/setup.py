"""`maatwerk init`: a folder to run maatwerk from (pipeline/install.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from maatwerk.printing import esc, out
from pipeline.install import init_folder, profiles


def init(
    folder: Path = typer.Argument(
        ..., metavar="MAP", help="De map voor de configuratie (wordt gemaakt)."
    ),
    regio: str = typer.Option(
        "zou",
        "--regio",
        metavar="PROFIEL",
        help=f"Het regioprofiel om mee te beginnen: {', '.join(profiles())}.",
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        metavar="MAP",
        help=(
            "Waar database, register, dropmap en mailmappen komen (standaard MAP/data)."
        ),
    ),
) -> None:
    """Maak een map om maatwerk vanuit te draaien: een beginconfiguratie, alle
    instellingen met uitleg en een kopie van het regioprofiel om aan te passen.

    Voorbeeld: maatwerk init /etc/maatwerk --regio rvn --data /var/lib/maatwerk
    """
    written = init_folder(folder, regio, data)
    for path in written:
        out.print(f"geschreven: {esc(path)}")
    out.print(
        f"Pas {esc(written[0])} aan (mailbox, adressen) en controleer met"
        f" 'maatwerk --config {esc(written[0])} check'."
    )
