"""`maatwerk`: the command line, a client of the library. Each command reads its
settings, calls the library, prints; the commands live by subject in this package:

- `mail`: run, reprocess, quarantaine, check
- `cases`: status, case, inzage, opschonen
- `forms`: extract, bench extract
- `report`: report verlopend, report monitoring

`main` is the one place where an error becomes a Dutch line on stderr and its exit code
(`pipeline.errors.ExitCode`); never a traceback.
"""

from __future__ import annotations

import inspect
import os
import sys

import typer
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from maatwerk import cases, forms, mail, report
from pipeline.errors import ExitCode, MaatwerkError, StoreUnavailable
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
app.command()(mail.run)
app.command()(mail.reprocess)
app.add_typer(mail.quarantaine_app, name="quarantaine")
app.command()(mail.check)
app.command("status")(cases.status_cmd)
app.command("case")(cases.case_cmd)
app.command()(cases.inzage)
app.command()(cases.opschonen)
app.command()(forms.extract)
app.add_typer(forms.bench_app, name="bench")
app.add_typer(report.report_app, name="report")


def summarised(group: TyperGroup) -> TyperGroup:
    """`group` with each command listed by its help's first paragraph on one line, as
    the command's own --help shows it (Typer's list keeps a docstring's line breaks)."""
    for command in group.commands.values():
        if command.help and not command.short_help:
            first = inspect.cleandoc(command.help).split("\n\n")[0]
            command.short_help = " ".join(first.split())
        if isinstance(command, TyperGroup):
            summarised(command)
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
            summarised(cli)(prog_name="maatwerk")
        except OperationalError as exc:
            raise StoreUnavailable() from exc
    except MaatwerkError as exc:
        # the melding may quote a value: printed as text, on one line
        sys.stderr.write(printable(exc.melding).replace("\n", " ") + "\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.interrupted)
