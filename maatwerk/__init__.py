"""`maatwerk`: the command line, a client of the library. Each command reads its
settings, calls the library, prints; the commands live by subject in this package:

- `setup`: init; `check`: check
- `mail`: run, reprocess, quarantaine
- `cases`: status, case, inzage, opschonen
- `forms`: extract, bench extract
- `report`: report verlopend, report monitoring

`main` is the one place where an error becomes a Dutch line on stderr and its exit code
(`pipeline.errors.ExitCode`); never a traceback.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from maatwerk import cases, check, forms, mail, report, serve, setup
from maatwerk.dutch import DutchCommand, DutchGroup, usage_error
from maatwerk.shared import CONFIG_ENV, ConfigOpt
from pipeline.errors import ExitCode, MaatwerkError, StoreUnavailable
from pipeline.text import printable

app = typer.Typer(
    help=(
        "Maatwerkovereenkomsten jeugdhulp: aanvraagformulieren uit de mailbox tot"
        " getekend contract.\n\n"
        "Voorbeeld: maatwerk --config /etc/maatwerk/maatwerk.toml status"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(asked: bool) -> None:
    if asked:
        sys.stdout.write(f"maatwerk {version('maatwerk')}\n")
        raise typer.Exit()


@app.callback()
def everything(
    config: Path | None = ConfigOpt,
    _show_version: bool = typer.Option(
        False,
        "--version",
        help="Toon de versie en stop.",
        callback=_version,
        is_eager=True,
    ),
) -> None:
    """The options before the command: --config holds for every command (a command's
    own --config wins)."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


app.command()(setup.init)
app.command()(mail.run)
app.command()(mail.reprocess)
app.add_typer(mail.quarantaine_app, name="quarantaine")
app.command()(check.check)
app.command("status")(cases.status_cmd)
app.command("case")(cases.case_cmd)
app.command()(cases.inzage)
app.command()(cases.opschonen)
app.command()(forms.extract)
app.add_typer(forms.bench_app, name="bench")
app.add_typer(report.report_app, name="report")
app.command()(serve.web)


def prepared(group: TyperGroup) -> TyperGroup:
    """`group` in Dutch (maatwerk/dutch.py: the classes add behaviour, no state), each
    command listed by its help's first paragraph on one line, as the command's own
    --help shows it (Typer's list keeps a docstring's line breaks)."""
    group.__class__ = DutchGroup
    for command in group.commands.values():
        if command.help and not command.short_help:
            first = inspect.cleandoc(command.help).split("\n\n")[0]
            command.short_help = " ".join(first.split())
        if isinstance(command, TyperGroup):
            prepared(command)
        else:
            command.__class__ = DutchCommand
    return group


def main() -> None:
    """Run the command line; exits with the command's ExitCode."""
    # What maatwerk writes (store, Maildirs, drop folder, register, reports) is for
    # owner and group only, like the register (pipeline/register/), whatever the
    # login's umask: the modes the code sets itself, and also what libraries make
    # (mailbox folders, SQLite's journal files).
    os.umask(os.umask(0o027) | 0o027)
    try:
        try:
            cli = typer.main.get_command(app)
            assert isinstance(cli, TyperGroup)
            code = prepared(cli).main(prog_name="maatwerk", standalone_mode=False)
            sys.exit(code if isinstance(code, int) else ExitCode.ok)
        except OperationalError as exc:
            raise StoreUnavailable() from exc
    except typer.TyperException as exc:  # a usage error: Typer's own, in English
        if (line := usage_error(exc)) is not None:
            sys.stderr.write(printable(line) + "\n")
        sys.exit(ExitCode.usage)
    except typer.Abort:
        sys.stderr.write("Afgebroken.\n")
        sys.exit(ExitCode.interrupted)
    except MaatwerkError as exc:
        # the melding may quote a value: printed as text, on one line
        sys.stderr.write(printable(exc.melding).replace("\n", " ") + "\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.interrupted)
    except Exception as exc:  # a fault of ours: one line, the details only in the log
        logging.getLogger("maatwerk").debug("onverwachte fout", exc_info=True)
        sys.stderr.write(
            f"Onverwachte fout in maatwerk ({type(exc).__name__}); meld dit bij de"
            ' beheerder. Met log_level = "DEBUG" staat de oorzaak in het logboek.\n'
        )
        sys.exit(ExitCode.error)
