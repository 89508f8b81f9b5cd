"""`maatwerk run`, `reprocess`, `quarantaine` and `check`: the mailbox and the drop
folder watched and handled, the mail held in Quarantaine, the sender check."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from maatwerk.printing import err, esc, lit, local, out
from maatwerk.shared import ConfigOpt, opened_pipeline, person, settings_of
from pipeline.config import Settings
from pipeline.errors import ConfigError

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

    settings = settings_of(config)
    with sole_worker(settings.store.url):
        report = _run(settings, once)
    err.print(
        f"Klaar: {report.mails} mail(s), {report.files} bestand(en),"
        f" {len(report.cases)} zaak/zaken, {report.sent} mail(s) verstuurd,"
        f" {report.quarantined} in quarantaine."
    )


def _run(settings: Settings, once: bool) -> RunReport:
    from watchers.run import run_forever, run_once

    with opened_pipeline(settings) as pipeline:
        if once:
            return run_once(pipeline)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        err.print(
            f"maatwerk bewaakt {esc(settings.mailbox.address)} en"
            f" {esc(settings.drop.path)} — stop met Ctrl-C"
        )
        return run_forever(pipeline, stop)


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


def check(config: Path | None = ConfigOpt) -> None:
    """Controleer de instellingen: wat de mailserver op binnenkomende mail schrijft
    (afzendercontrole)."""
    settings = settings_of(config)
    with opened_pipeline(settings) as pipeline:
        try:
            processed = pipeline.mailbox.list_folder(settings.mailbox.processed_folder)
        except ConfigError as exc:
            out.print(f"Afzendercontrole: niet na te gaan ({esc(exc.melding)})")
            return
    _print_server_check([m.raw for m in processed[-50:]], settings)


def _print_server_check(raws: list[bytes], settings: Settings) -> None:
    from pipeline.workflow import verify

    sec = settings.security
    r = verify.server_report(raws, tuple(sec.vertrouwde_servers))
    if not r.mails:
        out.print(
            "Afzendercontrole: nog geen verwerkte mail om na te gaan wat de mailserver"
            " controleert."
        )
        return
    results = ", ".join(f"{k} {v}" for k, v in sorted(r.dmarc.items())) or "geen"
    out.print(
        f"Afzendercontrole: van de laatste {r.mails} verwerkte mails hebben er"
        f" {r.with_results} een DMARC-uitslag van de ontvangende mailserver"
        f" ({esc(results)}); {r.internal} zijn door Exchange als intern gemarkeerd"
        + (f"; server(s): {esc(', '.join(r.servers))}" if r.servers else "")
        + "."
    )
    if r.with_results < r.mails and sec.dmarc == "vereist":
        out.print(
            '[bold red]FOUT[/bold red]: [security] dmarc = "vereist", maar niet elke'
            " mail heeft een DMARC-uitslag: antwoorden zonder uitslag tellen dan nooit."
        )
    elif r.with_results == r.mails and sec.dmarc != "vereist":
        out.print(
            'Tip: de mailserver controleert elke mail; met [security] dmarc = "vereist"'
            " telt een antwoord zonder DMARC-uitslag nooit (het strengste dat deze"
            " server ondersteunt)."
        )
    else:
        out.print(f'OK: [security] dmarc = "{sec.dmarc}".')
