"""`maatwerk check`: the checklist of pipeline/checks.py printed, and what the mail
server writes on incoming mail (the sender check)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from maatwerk.printing import esc, out
from maatwerk.shared import CONFIG_ENV, ConfigOpt, settings_of
from pipeline.config import DEFAULT_CONFIG_NAME, Settings
from pipeline.errors import ConfigError, ExitCode, MaatwerkError


def check(
    send_test: str | None = typer.Option(
        None,
        "--send-test",
        metavar="ADRES",
        help="Stuur ook een testmail naar dit adres (anders wordt niets verstuurd).",
    ),
    config: Path | None = ConfigOpt,
) -> None:
    """Controleer of alles klaar is om live te gaan: configuratie, regioprofiel, alle
    sjablonen, inloggen op de mailbox, database, mappen, tekstherkenning en LibreOffice.

    Per punt OK of FOUT met wat eraan te doen is. Exitcode 0 als alles OK is, 1 bij
    een FOUT, 3 als de configuratie niet te lezen is.

    Voorbeeld: maatwerk --config /etc/maatwerk/maatwerk.toml check --send-test
    ict@gemeente.nl
    """
    from pipeline.checks import run_checks

    try:
        settings = settings_of(config)
    except ConfigError as exc:
        _line(
            False,
            "Configuratie",
            exc.melding,
            "Herstel het bestand (zie config.example.toml) en draai 'maatwerk check'"
            " opnieuw.",
        )
        raise typer.Exit(ExitCode.config) from None
    _line(True, "Configuratie", _source(config))
    findings = run_checks(settings, send_test)
    for f in findings:
        _line(f.ok, f.what, f.detail, f.fix)
    failed = sum(not f.ok for f in findings)
    if all(f.ok for f in findings if f.what.startswith("Mailbox")):
        failed += not _sender_check(settings)
    out.print(
        f"{failed} FOUT(en): los die op en draai 'maatwerk check' opnieuw."
        if failed
        else "Alles OK."
    )
    raise typer.Exit(ExitCode.error if failed else ExitCode.ok)


def _source(config: Path | None) -> str:
    if config is not None:
        return f"{config.resolve()}" + (
            " (MAATWERK_CONFIG)" if _from_env(config) else ""
        )
    if Path(DEFAULT_CONFIG_NAME).exists():
        return f"{Path(DEFAULT_CONFIG_NAME).resolve()}"
    return "geen bestand: de ingebouwde standaardwaarden"


def _from_env(config: Path) -> bool:
    return os.environ.get(CONFIG_ENV) == str(config) and "--config" not in sys.argv


def _line(ok: bool, what: str, detail: str, fix: str = "") -> None:
    mark = "[green]OK  [/green]" if ok else "[bold red]FOUT[/bold red]"
    out.print(f"{mark}  {esc(what)}: {esc(detail)}")
    if fix:
        out.print(f"      → {esc(fix)}")


def _sender_check(settings: Settings) -> bool:
    """What the receiving server wrote on the last handled mails: which DMARC rule the
    product can keep ([security] dmarc). False when the rule cannot work."""
    from pipeline.mail import open_mailbox
    from pipeline.workflow import verify

    mailbox = open_mailbox(settings)
    try:
        processed = mailbox.list_folder(settings.mailbox.processed_folder)
    except ConfigError:  # this backend cannot list a folder
        _line(
            True,
            "Afzendercontrole",
            f"niet na te gaan met de mailbox '{settings.mailbox.backend}' (de map"
            f" {settings.mailbox.processed_folder} lezen kan daar nog niet)",
        )
        return True
    except MaatwerkError as exc:
        _line(True, "Afzendercontrole", f"niet na te gaan ({exc.melding})")
        return True
    finally:
        mailbox.close()
    sec = settings.security
    r = verify.server_report(
        [m.raw for m in processed[-50:]], tuple(sec.vertrouwde_servers)
    )
    if not r.mails:
        _line(True, "Afzendercontrole", "nog geen verwerkte mail om na te gaan")
        return True
    results = ", ".join(f"{k} {v}" for k, v in sorted(r.dmarc.items())) or "geen"
    seen = (
        f"van de laatste {r.mails} verwerkte mails hebben er {r.with_results} een"
        f" DMARC-uitslag ({results}); {r.internal} door Exchange als intern gemarkeerd"
        + (f"; server(s): {', '.join(r.servers)}" if r.servers else "")
    )
    if r.with_results < r.mails and sec.dmarc == "vereist":
        _line(
            False,
            "Afzendercontrole",
            seen,
            '[security] dmarc = "vereist", maar niet elke mail heeft een uitslag:'
            " antwoorden zonder uitslag tellen dan nooit.",
        )
        return False
    if r.with_results == r.mails and sec.dmarc != "vereist":
        _line(True, "Afzendercontrole", seen + '; tip: [security] dmarc = "vereist"')
    else:
        _line(True, "Afzendercontrole", seen + f'; [security] dmarc = "{sec.dmarc}"')
    return True
