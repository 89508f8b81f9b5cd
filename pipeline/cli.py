"""`maatwerk`: the command line, a thin shell over the library.

Errors are shown as one Dutch line on stderr with the error's exit code; never a
traceback.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import OperationalError

from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError, ExitCode, MaatwerkError, StoreUnavailable
from pipeline.text import printable

app = typer.Typer(
    help=(
        "Maatwerkovereenkomsten jeugdhulp: aanvraagformulieren uit de mailbox tot"
        " getekend contract."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# piped output: wide tables, no wrapping; ':name:' in a value stays text, never an emoji
out = Console(width=None if sys.stdout.isatty() else 200, emoji=False)
err = Console(stderr=True, emoji=False)

ConfigOpt = typer.Option(
    None,
    "--config",
    "-c",
    help=(
        "TOML-configuratiebestand (standaard ./maatwerk.toml, "
        "anders de ingebouwde standaardwaarden)."
    ),
    exists=False,
    dir_okay=False,
)


def _settings(config: Path | None) -> Settings:
    settings = load_settings(config)
    _logging(settings.log_level)
    return settings


def _logging(log_level: str) -> None:
    """`log_level` is for maatwerk's own loggers (the 'maatwerk' tree): they never log a
    form value. Every other logger (pdfminer, pdfplumber, pypdf, PIL, exchangelib,
    urllib3, msal, sqlalchemy, alembic, …) stays at INFO or above whatever `log_level`
    says: pdfminer's debug lines hold the PDF's strings — names, ZorgNed numbers, BSNs.
    """
    level = logging.getLevelNamesMapping().get(log_level.upper())
    if level is None:
        raise ConfigError(
            f"log_level '{log_level}' bestaat niet; kies DEBUG, INFO, WARNING of ERROR."
        )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler.addFilter(
            _own_debug_only
        )  # also when a library sets its own logger's level lower
        root.addHandler(handler)
    root.setLevel(max(logging.INFO, level))
    logging.getLogger("maatwerk").setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _own_debug_only(record: logging.LogRecord) -> bool:
    return (
        record.levelno >= logging.INFO
        or record.name == "maatwerk"
        or record.name.startswith("maatwerk.")
    )


def _lit(value: object) -> Text:
    """A value (from a form, a mail, the store) as a table cell: printed literally —
    never markup ('[/b]', '[link=…]'), never an escape sequence (control characters
    removed).
    """
    return Text("—" if value is None or value == "" else printable(str(value)))


def _esc(value: object) -> str:
    """A value inside a line that has markup of its own: escaped, control characters
    removed."""
    return escape(printable(str(value)))


def _local(moment: datetime, settings: Settings) -> str:
    """A stored time (UTC; SQLite returns it without zone) as local wall time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(ZoneInfo(settings.advice.timezone)):%Y-%m-%d %H:%M:%S}"


def _pipeline(settings: Settings):
    from pipeline.workflow.pipeline import Pipeline

    return Pipeline(settings)


@app.command()
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
    """
    from pipeline.store import sole_worker

    settings = _settings(config)
    with sole_worker(settings.store.url):
        report = _run(settings, once)
    err.print(
        f"Klaar: {report.mails} mail(s), {report.files} bestand(en),"
        f" {len(report.cases)} zaak/zaken, {report.sent} mail(s) verstuurd,"
        f" {report.quarantined} in quarantaine."
    )


def _run(settings, once: bool):
    from watchers.run import run_forever, run_once

    pipeline = _pipeline(settings)
    try:
        if once:
            report = run_once(pipeline)
        else:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            err.print(
                f"maatwerk bewaakt {_esc(settings.mailbox.address)} en"
                f" {_esc(settings.drop.path)} — stop met Ctrl-C"
            )
            report = run_forever(pipeline, stop)
    finally:
        pipeline.close()
    return report


@app.command()
def reprocess(config: Path | None = ConfigOpt) -> None:
    """Verwerk alle mails uit de map Quarantaine opnieuw (na een herstel); per mail:
    'maatwerk quarantaine'."""
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        report = pipeline.reprocess(wie=_person())
    finally:
        pipeline.close()
    _print_reprocessed(report)


def _print_reprocessed(report) -> None:
    out.print(
        f"{report.mails} mail(s) opnieuw verwerkt: {len(report.cases)} zaak/zaken, "
        f"{report.quarantined} opnieuw in quarantaine."
    )


quarantaine_app = typer.Typer(
    help=(
        "De map Quarantaine: wat er bewaard wordt en waarom; per mail opnieuw"
        " verwerken, vrijgeven of verwijderen. Zonder opdracht: de lijst."
    ),
    invoke_without_command=True,
)
app.add_typer(quarantaine_app, name="quarantaine")
RedenOpt = typer.Option(
    None, "--reden", help="Waarom (komt in het logboek van de quarantaine)."
)


@quarantaine_app.callback()
def quarantaine_list(ctx: typer.Context, config: Path | None = ConfigOpt) -> None:
    """Toon de mails in Quarantaine: nummer, ontvangen, afzender, onderwerp en waarom ze
    er staan."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        held = pipeline.held()
    finally:
        pipeline.close()
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
    for m in (
        held
    ):  # sender and subject are the mail's own text: printed literally, never as markup
        table.add_row(
            str(m.nummer),
            _local(m.received_at, settings),
            _lit(m.sender or "onbekend"),
            _lit(m.subject or "(geen onderwerp)"),
            _lit(m.reden),
        )
    out.print(table)
    out.print(
        "Per mail: 'maatwerk quarantaine opnieuw NR', 'vrijgeven NR' of 'verwijderen"
        " NR'."
    )


@quarantaine_app.command("opnieuw")
def quarantaine_again(
    nummers: list[int] | None = typer.Argument(None, help="Nummer(s) uit de lijst."),
    alle: bool = typer.Option(False, "--alle", help="Alle mails in Quarantaine."),
    reden: str | None = RedenOpt,
    config: Path | None = ConfigOpt,
) -> None:
    """Verwerk mails uit Quarantaine opnieuw (na een herstel); wie al antwoord kreeg,
    krijgt het niet nog eens."""
    if bool(nummers) == alle:
        raise typer.BadParameter(
            "geef nummer(s) uit de lijst of --alle", param_hint="NUMMERS"
        )
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        report = pipeline.reprocess(
            None if alle else nummers, wie=_person(), reden=reden
        )
    finally:
        pipeline.close()
    _print_reprocessed(report)


@quarantaine_app.command("vrijgeven")
def quarantaine_release(
    nummer: int = typer.Argument(..., help="Nummer uit de lijst."),
    reden: str | None = RedenOpt,
    config: Path | None = ConfigOpt,
) -> None:
    """Geef een met de hand afgehandelde mail vrij: onverwerkt naar Verwerkt, nooit meer
    als nieuw genomen."""
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        mail = pipeline.release_held(nummer, wie=_person(), reden=reden)
    finally:
        pipeline.close()
    out.print(
        f"Vrijgegeven naar {_esc(settings.mailbox.processed_folder)}:"
        f" {_held_line(mail)}"
    )


@quarantaine_app.command("verwijderen")
def quarantaine_delete(
    nummer: int = typer.Argument(..., help="Nummer uit de lijst."),
    reden: str | None = RedenOpt,
    config: Path | None = ConfigOpt,
) -> None:
    """Verwijder een mail uit Quarantaine (en uit de mailbox); wie en waarom blijft
    vastgelegd."""
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        mail = pipeline.delete_held(nummer, wie=_person(), reden=reden)
    finally:
        pipeline.close()
    out.print(f"Verwijderd: {_held_line(mail)}")


def _held_line(mail) -> str:
    return (
        f"mail {mail.nummer} van {_esc(mail.sender or 'onbekend')}, onderwerp"
        f" '{_esc(mail.subject)}'"
    )


@app.command()
def check(config: Path | None = ConfigOpt) -> None:
    """Controleer de instellingen: wat de mailserver op binnenkomende mail schrijft
    (afzendercontrole)."""
    from pipeline.workflow import verify

    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        try:
            raws = [
                m.raw
                for m in pipeline.mailbox.list_folder(
                    settings.mailbox.processed_folder
                )[-50:]
            ]
        except ConfigError as exc:
            out.print(f"Afzendercontrole: niet na te gaan ({_esc(exc.melding)})")
            return
    finally:
        pipeline.close()
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
        f" ({_esc(results)}); {r.internal} zijn door Exchange als intern gemarkeerd"
        + (f"; server(s): {_esc(', '.join(r.servers))}" if r.servers else "")
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


@app.command()
def status(config: Path | None = ConfigOpt) -> None:
    """Toon de openstaande zaken met hun status en adviestermijn."""
    from pipeline import store
    from pipeline.register.index import status_text

    settings = _settings(config)
    today = datetime.now(ZoneInfo(settings.advice.timezone)).date()
    st = store.open_store(settings.store)
    with st.session() as s:
        cases = store.open_cases(s)
        table = Table(title="Openstaande zaken")
        for col in (
            "zaak",
            "status",
            "gemeente",
            "aanbieder",
            "spoed",
            "wacht op",
            "uiterlijk",
        ):
            table.add_column(col, no_wrap=col in ("zaak", "status", "uiterlijk"))
        late = 0
        for c in cases:
            owing = store.owing(s, c) if c.state == "advies_gevraagd" else {}
            waiting = "; ".join(f"{r} ({', '.join(a)})" for r, a in owing.items()) or (
                (
                    "verwijzer (gegevens aanbieder)"
                    if c.vraag_van == "verwijzer"
                    else "ICM (tarief)"
                )
                if c.vraag_van and c.state == "positief"
                else (
                    "verwijzer (vraag)"
                    if c.vraag_van
                    else "getekend contract"
                    if c.state == "contract_verstuurd"
                    else "—"
                )
            )
            due = c.deadline.isoformat() if c.deadline and owing else "—"
            if c.deadline and owing and c.deadline < today:
                late += 1
                due = f"[bold red]{due} TE LAAT[/bold red]"
            table.add_row(
                _lit(c.id),
                _lit(status_text(c.state)),
                _lit(c.gemeente),
                _lit(c.aanbieder),
                ("crisis" if c.crisis else "ja") if c.spoed else "nee",
                _lit(waiting),
                due,
            )
        unsent = store.unsent_mails(s)
        workers = store.workers(s)
        waiting, set_aside = store.waiting_mails(s), store.set_aside_mails(s)
    st.close()
    if not cases:
        out.print("Geen openstaande zaken.")
    else:
        out.print(table)
        if late:
            out.print(f"[bold red]{late} zaak/zaken over de termijn.[/bold red]")
    if unsent:
        errors = sorted({m.last_error for m in unsent if m.last_error})
        out.print(
            f"{len(unsent)} mail(s) wachten op verzending sinds"
            f" {_local(min(m.created_at for m in unsent), settings)}"
            + (f" (laatste fout: {_esc(', '.join(errors))})." if errors else ".")
        )
    for wat in dict.fromkeys(
        m.waiting_on for m in waiting
    ):  # an outage met while handling mail
        since = min(m.last_at for m in waiting if m.waiting_on == wat)
        out.print(
            f"[bold red]Mail wacht op: {_esc(wat)} niet beschikbaar sinds"
            f" {_local(since, settings)}; {sum(m.waiting_on == wat for m in waiting)}"
            " mail(s) blijven in de inbox.[/bold red]"
        )
    if set_aside:
        out.print(
            f"[bold red]{len(set_aside)} mail(s) na herhaald mislukken apart gezet in"
            f" Quarantaine (laatste {_local(set_aside[-1].set_aside_at, settings)});"
            " zie 'maatwerk quarantaine'.[/bold red]"
        )
    _print_workers(workers, settings)


def _print_workers(workers, settings: Settings) -> None:
    """Each running `maatwerk run`: working, or what an outage makes it wait for."""
    from pipeline import store

    if not workers:
        out.print("Er draait geen 'maatwerk run'.")
        return
    now = datetime.now(UTC)
    for w in workers:
        if (now - store.aware(w.seen_at)).total_seconds() > 120:
            state = (
                "[yellow]niets meer van gehoord sinds"
                f" {_local(w.seen_at, settings)}[/yellow]"
            )
        elif w.waiting_on:
            state = (
                f"[bold red]wacht op {_esc(w.waiting_on)} sinds "
                f"{_local(w.waiting_since or w.seen_at, settings)}[/bold red]"
            )
        else:
            state = "werkt"
        out.print(f"Verwerker {_esc(w.id)}: {state}")


def _person() -> str:
    """Who is at the keyboard, for the inzage log: the login name."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


@app.command("case")
def case_cmd(
    case_id: str = typer.Argument(..., help="Zaaknummer, bijv. MW-2026-0001"),
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
    inzagelogboek)."""
    from pipeline import store
    from pipeline.register.index import status_text

    if not reden.strip():
        raise typer.BadParameter("geef een reden op", param_hint="--reden")
    settings = _settings(config)
    st = store.open_store(settings.store)
    with st.session() as s:
        c = store.get_case(s, case_id)
        store.log_access(
            s,
            c.id,
            wie=_person(),
            actie="bekeken",
            reden=reden.strip(),
            bron="maatwerk case",
        )
        out.print(
            f"[bold]{_esc(c.id)}[/bold]  status: {_esc(status_text(c.state))} "
            f" gemeente: {_esc(c.gemeente or '—')}  aanbieder:"
            f" {_esc(c.aanbieder or '—')}"
        )
        out.print(
            f"Ontvangen: {_local(c.received_at, settings)}  spoed:"
            f" {'ja' if c.spoed else 'nee'}  advies uiterlijk:"
            f" {c.deadline.isoformat() if c.deadline else '—'}"
        )
        if c.register_dir:
            out.print(f"Dossier: {_esc(c.register_dir)}")
        for m in c.meldingen:
            out.print(f"  {_esc(m.ernst)}: {_esc(m.tekst)}")
        table = Table(title="Geschiedenis")
        for col in ("wanneer", "van", "naar", "bron", "wat"):
            table.add_column(col, no_wrap=col in ("wanneer", "naar"))
        for e in c.events:
            table.add_row(
                _local(e.at, settings),
                _lit(e.from_state),
                _lit(e.to_state),
                _lit(e.source),
                _lit(e.what),
            )
    st.close()
    out.print(table)


@app.command()
def inzage(
    case_id: str = typer.Argument(..., help="Zaaknummer, bijv. MW-2026-0001"),
    config: Path | None = ConfigOpt,
) -> None:
    """Toon wie de persoonsgegevens van een zaak heeft verwerkt of ingezien, wanneer en
    waarom."""
    from pipeline import store

    settings = _settings(config)
    st = store.open_store(settings.store)
    with st.session() as s:
        store.get_case(s, case_id)
        rows = store.inzage(s, case_id.strip().upper())
        table = Table(title=f"Inzagelogboek {_esc(case_id.strip().upper())}")
        for col in ("wanneer", "wie", "wat", "waarom", "bron"):
            table.add_column(col, no_wrap=col == "wanneer")
        for r in rows:
            table.add_row(
                _local(r.at, settings),
                _lit(r.wie),
                _lit(r.actie),
                _lit(r.reden),
                _lit(r.bron),
            )
    st.close()
    out.print(table)


@app.command()
def opschonen(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Toon alleen welke zaken aan de beurt zijn."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Verwijder de persoonsgegevens van afgesloten zaken na de bewaartermijn (\\[retention] months).

    Het getekende contract blijft in het register; zaaknummer, gemeente, aanbieder, data en waarde blijven voor de cijfers. 'maatwerk run' doet dit ook zelf, eens per dag.
    """  # noqa: E501
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        result = pipeline.opschonen(dry_run=dry_run, wie=_person())
    finally:
        pipeline.close()
    if dry_run:
        out.print(
            f"{len(result.cases)} zaak/zaken voorbij de bewaartermijn van"
            f" {settings.retention.months} maanden"
            + (": " + _esc(", ".join(result.cases)) if result.cases else ".")
        )
    else:
        out.print(
            f"{len(result.cases)} zaak/zaken opgeschoond: {result.files} bestand(en) en"
            f" {result.mails} mail(s) verwijderd; getekende contracten blijven in het"
            " register."
        )


@app.command()
def extract(
    file: Path = typer.Argument(
        ..., help="Het aanvraagformulier (.docx of .pdf)", dir_okay=False
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print het canonieke record als JSON."
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Lees één formulier en toon de velden en meldingen (exit 2 als het niet te lezen
    is)."""
    from datetime import date

    from pipeline.region.profile import load_mappings
    from pipeline.stages.extract import extract_file
    from pipeline.stages.validate import validate

    settings = _settings(config)
    mappings = load_mappings(settings.region.mappings_dir, settings.region.profile)
    extraction = extract_file(file, mappings, settings.ocr.languages, settings.limits)
    extraction.meldingen.extend(
        validate(extraction.record, mappings, date.today(), extraction.confidence)
    )
    data = extraction.as_json_dict()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{_esc(file.name)} ({_esc(extraction.layout)})")
    table.add_column("veld")
    table.add_column("waarde")

    def rows(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                rows(f"{prefix}{k}.", v)
        else:
            table.add_row(_lit(prefix.rstrip(".")), _lit(value))

    rows("", {k: v for k, v in data.items() if k != "meldingen"})
    out.print(table)
    for m in extraction.meldingen:
        out.print(
            _lit(f"{m.ernst}: {m.tekst}")
        )  # the question is named in the text itself


bench_app = typer.Typer(
    help="Metingen: nauwkeurigheid en snelheid.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@bench_app.command("extract")
def bench_extract(
    folder: Path = typer.Argument(
        ...,
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
    noemt)."""
    from pipeline.accuracy import measure, shortfalls, total, write_differences
    from pipeline.region.profile import load_mappings

    settings = _settings(config)
    results, layouts = measure(
        folder,
        load_mappings(settings.region.mappings_dir, settings.region.profile),
        settings.ocr.languages,
    )
    table = Table(title=f"Nauwkeurigheid extractie – {_esc(folder)}")
    for col in (
        "layout",
        "formulieren",
        "velden",
        "goed",
        "nauwkeurigheid",
        "direct door",
        "mislukt",
        "stil fout",
    ):
        table.add_column(col, justify="left" if col == "layout" else "right")
    rows = sorted(layouts.values(), key=lambda a: a.layout)
    for agg in rows + [
        total(layouts, scans=False),
        total(layouts, scans=True),
        total(layouts),
    ]:
        table.add_row(
            _lit(agg.layout),
            str(agg.files),
            str(agg.fields),
            str(agg.right),
            f"{agg.accuracy:.1%}",
            f"{agg.straight}/{agg.files} ({agg.straight_rate:.0%})",
            str(agg.failed),
            f"{agg.silent} ({agg.silent / agg.fields if agg.fields else 0:.1%})",
        )
    out.print(table)
    target = verschillen or Path("verschillen.tsv")
    write_differences(results, target)
    out.print(f"Afwijkende velden: {_esc(target)}")
    if drempels:
        missed = shortfalls(layouts)
        for line in missed:
            out.print(f"Drempel niet gehaald: {_esc(line)}")
        if missed:
            raise typer.Exit(ExitCode.error)
        out.print("Alle drempels gehaald.")


report_app = typer.Typer(
    help="Rapportages voor gemeenten en ICM.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("verlopend")
def report_expiring(
    weeks: int | None = typer.Option(
        None,
        "--weeks",
        help="Aflopend binnen zoveel weken (standaard uit de configuratie).",
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Mail elke gemeente de maatwerkovereenkomsten die binnenkort aflopen."""
    settings = _settings(config)
    pipeline = _pipeline(settings)
    try:
        sent = pipeline.send_expiry_reports(weeks, wie=_person())
    finally:
        pipeline.close()
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
    drukken)."""
    from pipeline import reports, store
    from pipeline.region.profile import load_mappings

    settings = _settings(config)
    mappings = load_mappings(settings.region.mappings_dir, settings.region.profile)
    st = store.open_store(settings.store)
    with st.session() as s:
        figures = reports.monitoring(s, year, mappings)
    st.close()
    path = reports.write_monitoring(figures, settings.register_.path / "rapportages")
    table = Table(title=f"Maatwerk {year} per gemeente")
    for col in (
        "gemeente",
        "aanvragen",
        "positief",
        "lopende contracten",
        f"waarde in {year}",
    ):
        table.add_column(col, justify="left" if col == "gemeente" else "right")
    for row in reports.figures_summary(figures):
        table.add_row(*(_lit(v) for v in row))
    out.print(table)
    if figures.geen_formulier:
        out.print(
            "Geen formulier (lege pagina, versleutelde PDF, brief):"
            f" {figures.geen_formulier}; niet meegeteld bij de aanvragen."
        )
    out.print(f"Rapport: {_esc(path)}")


def main() -> None:
    # What maatwerk writes (store, Maildirs, drop folder, register, reports) is for
    # owner and group only, like the register (pipeline/register.py), whatever the
    # login's umask: the modes the code sets itself, and also what libraries make
    # (mailbox folders, SQLite's journal files).
    os.umask(os.umask(0o027) | 0o027)
    try:
        try:
            app()
        except OperationalError as exc:
            raise StoreUnavailable() from exc
    except MaatwerkError as exc:
        # the melding may quote a value: printed as text, on one line
        sys.stderr.write(printable(exc.melding).replace("\n", " ") + "\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.interrupted)


if __name__ == "__main__":
    main()
