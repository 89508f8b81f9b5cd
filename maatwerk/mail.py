"""`maatwerk run`, `reprocess` and `quarantaine`: the mailbox and the drop folder
watched and handled, the mail held in Quarantaine."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from maatwerk.printing import err, esc, lit, local, out
from maatwerk.shared import ConfigOpt, opened_pipeline, person, settings_of
from pipeline.config import Settings

if TYPE_CHECKING:
    from pipeline.workflow.pipeline import RunReport
    from pipeline.workflow.quarantine import HeldMail

quarantaine_app = typer.Typer(
    help=(
        "De map Quarantaine: wat er bewaard wordt en waarom; per mail opnieuw"
        " verwerken, vrijgeven of verwijderen. Zonder opdracht: de lijst.\n\n"
        "Voorbeeld: maatwerk quarantaine"
    ),
    invoke_without_command=True,
)
RedenOpt = typer.Option(
    None, "--reden", help="Waarom (komt in het logboek van de quarantaine)."
)


def run(
    once: bool = typer.Option(
        False, "--once", help="Verwerk wat nu klaarstaat en stop."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Bewaak de mailbox en de dropmap en verwerk aanvragen en adviezen (stop met
    Ctrl-C).

    Meerdere verwerkers tegelijk (op één of meer servers) kan met een
    PostgreSQL-database.

    Voorbeeld: maatwerk --config /etc/maatwerk/maatwerk.toml run
    """
    from pipeline.store import sole_worker
    from pipeline.workflow.pipeline import RunReport

    settings = settings_of(config)
    with sole_worker(settings.store.url), backlog_bar() as progress:
        report = _run(settings, once, RunReport(progress=progress))
    err.print(
        f"Klaar: {report.mails} mail(s), {report.files} bestand(en),"
        f" {len(set(report.cases))} nieuwe zaak/zaken, {report.sent} mail(s)"
        f" verstuurd, {report.quarantined} in quarantaine."
    )


@contextmanager
def backlog_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while a backlog is handled (a terminal only: a service's
    journal gets the event lines)."""
    with Progress(
        TextColumn("achterstand"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("mail", total=None, visible=False)

        def advance(handled: int, waiting: int) -> None:
            bar.update(
                task, completed=handled, total=waiting, visible=handled < waiting
            )

        yield advance


def _run(settings: Settings, once: bool, report: RunReport) -> RunReport:
    from watchers.run import run_forever, run_once

    with opened_pipeline(settings) as pipeline:
        if once:
            return run_once(pipeline, report)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        err.print(
            f"maatwerk bewaakt {esc(settings.mailbox.address)} en"
            f" {esc(settings.drop.path)} — stop met Ctrl-C"
        )
        return run_forever(pipeline, stop, report)


def reprocess(config: Path | None = ConfigOpt) -> None:
    """Verwerk alle mails uit de map Quarantaine opnieuw (na een herstel); per mail:
    'maatwerk quarantaine'.

    Voorbeeld: maatwerk reprocess
    """
    with opened_pipeline(settings_of(config)) as pipeline:
        report = pipeline.reprocess(wie=person())
    _print_reprocessed(report)


def _print_reprocessed(report: RunReport) -> None:
    out.print(
        f"{report.mails} mail(s) opnieuw verwerkt: {len(report.cases)} zaak/zaken, "
        f"{report.quarantined} opnieuw in quarantaine."
    )


@quarantaine_app.callback()
def quarantaine_list(ctx: typer.Context, config: Path | None = ConfigOpt) -> None:
    """Toon de mails in Quarantaine: nummer, ontvangen, afzender, onderwerp en waarom ze
    er staan.

    Voorbeeld: maatwerk quarantaine
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_of(config)
    with opened_pipeline(settings) as pipeline:
        held = pipeline.held()
    if not held:
        out.print("Quarantaine is leeg.")
        return
    table = Table(title=f"Quarantaine ({len(held)} mail(s))")
    for col in ("nr", "ontvangen", "afzender", "onderwerp", "waarom"):
        table.add_column(
            col,
            justify="right" if col == "nr" else "left",
            no_wrap=col in ("nr", "ontvangen"),
        )
    # sender and subject are the mail's own text: printed literally, never as markup
    for m in held:
        table.add_row(
            str(m.nummer),
            local(m.received_at, settings),
            lit(m.sender or "onbekend"),
            lit(m.subject or "(geen onderwerp)"),
            lit(m.reden),
        )
    out.print(table)
    out.print(
        "Per mail: 'maatwerk quarantaine opnieuw NR', 'vrijgeven NR' of 'verwijderen"
        " NR'."
    )


@quarantaine_app.command("opnieuw")
def quarantaine_again(
    nummers: list[int] | None = typer.Argument(
        None, metavar="NR", help="Nummer(s) uit de lijst."
    ),
    alle: bool = typer.Option(False, "--alle", help="Alle mails in Quarantaine."),
    reden: str | None = RedenOpt,
    config: Path | None = ConfigOpt,
) -> None:
    """Verwerk mails uit Quarantaine opnieuw (na een herstel); wie al antwoord kreeg,
    krijgt het niet nog eens.

    Voorbeeld: maatwerk quarantaine opnieuw 3 --reden "server hersteld"
    """
    if bool(nummers) == alle:
        raise typer.BadParameter(
            "geef nummer(s) uit de lijst of --alle", param_hint="NUMMERS"
        )
    with opened_pipeline(settings_of(config)) as pipeline:
        report = pipeline.reprocess(
            None if alle else nummers, wie=person(), reden=reden
        )
    _print_reprocessed(report)


NummerArg = typer.Argument(..., metavar="NR", help="Nummer uit de lijst.")


def _settle_command(*, release: bool) -> Callable[..., None]:
    """The command that settles one held mail by hand: `release`d to the processed
    folder, or deleted."""

    def settle(
        nummer: int = NummerArg,
        reden: str | None = RedenOpt,
        config: Path | None = ConfigOpt,
    ) -> None:
        _settle_held(config, nummer, reden, release=release)

    return settle


quarantaine_app.command(
    "vrijgeven",
    help=(
        "Geef een met de hand afgehandelde mail vrij: onverwerkt naar Verwerkt, nooit"
        " meer als nieuw genomen.\n\nVoorbeeld: maatwerk quarantaine vrijgeven 3"
        ' --reden "met de hand ingevoerd"'
    ),
)(_settle_command(release=True))
quarantaine_app.command(
    "verwijderen",
    help=(
        "Verwijder een mail uit Quarantaine (en uit de mailbox); wie en waarom blijft"
        " vastgelegd.\n\nVoorbeeld: maatwerk quarantaine verwijderen 3 --reden spam"
    ),
)(_settle_command(release=False))


def _settle_held(
    config: Path | None, nummer: int, reden: str | None, *, release: bool
) -> None:
    """Release held mail `nummer` to the processed folder, or delete it; say which."""
    settings = settings_of(config)
    with opened_pipeline(settings) as pipeline:
        settle = pipeline.release_held if release else pipeline.delete_held
        mail = settle(nummer, wie=person(), reden=reden)
    done = (
        f"Vrijgegeven naar {esc(settings.mailbox.processed_folder)}"
        if release
        else "Verwijderd"
    )
    out.print(f"{done}: {_held_line(mail)}")


def _held_line(mail: HeldMail) -> str:
    return (
        f"mail {mail.nummer} van {esc(mail.sender or 'onbekend')}, onderwerp"
        f" '{esc(mail.subject)}'"
    )
