"""The command line in Dutch: Typer's own words (help option, usage line, panel
titles, type labels) and its usage errors, which Typer writes in English.

`DutchGroup` and `DutchCommand` are the command classes of every `maatwerk` command;
`usage_error` turns a usage error into one Dutch line."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import typer
from typer import rich_utils
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

rich_utils.ARGUMENTS_PANEL_TITLE = "Argumenten"
rich_utils.OPTIONS_PANEL_TITLE = "Opties"
rich_utils.COMMANDS_PANEL_TITLE = "Opdrachten"
rich_utils.ERRORS_PANEL_TITLE = "Fout"
rich_utils.ABORTED_TEXT = "Afgebroken."
rich_utils.DEFAULT_STRING = "[standaard: {}]"
rich_utils.ENVVAR_STRING = "[omgevingsvariabele: {}]"
rich_utils.REQUIRED_LONG_STRING = "[verplicht]"
rich_utils.DEPRECATED_STRING = "(verouderd) "
rich_utils.RICH_HELP = "Zie [blue]'{command_path} {help_option}'[/]."

HELP_TEXT = "Toon deze hulp en stop."
USAGE_PREFIX = "Gebruik: "
METAVARS = {"[OPTIONS]": "[OPTIES]", "COMMAND [ARGS]...": "OPDRACHT [ARGUMENTEN]..."}
TYPE_LABELS = {
    "<str>": "<tekst>",
    "<text>": "<tekst>",
    "<int>": "<getal>",
    "<int range>": "<getal>",
    "<float range>": "<getal>",
    "<float>": "<getal>",
    "<file>": "<bestand>",
    "<path>": "<pad>",
    "<directory>": "<map>",
    "<datetime>": "<datum>",
    "<list[int]>": "<getallen>",
}
# Typer's own English messages of a wrong value, in Dutch
MESSAGES = (
    (
        re.compile(r"(?:Value )?'(.*)' is not a valid (?:integer|int)\.?"),
        "'{0}' is geen getal",
    ),
    (re.compile(r"(?:Value )?'(.*)' is not a valid float\.?"), "'{0}' is geen getal"),
    (
        re.compile(r"(?:Value )?'(.*)' is not (?:one of|a valid choice).*"),
        "'{0}' kan niet",
    ),
    (
        re.compile(r"(.*) is not in the range (\d+)<=x<=(\d+)\.?"),
        "{0} ligt niet tussen {1} en {2}",
    ),
    (re.compile(r".*'(.*)' does not exist\.?"), "'{0}' bestaat niet"),
    (re.compile(r".*'(.*)' is a directory\.?"), "'{0}' is een map, geen bestand"),
    (re.compile(r".*'(.*)' is a file\.?"), "'{0}' is een bestand, geen map"),
    (
        re.compile(r"No such command '(.*)'\. Did you mean '(.*)'\?\.?"),
        "onbekende opdracht '{0}' (bedoelt u '{1}'?)",
    ),
    (re.compile(r"No such command '(.*)'\.?"), "onbekende opdracht '{0}'"),
    # Typer's values are checked by pydantic: its words
    (re.compile(r"Input should be a valid integer.*"), "moet een geheel getal zijn"),
    (re.compile(r"Input should be a valid (?:number|float).*"), "moet een getal zijn"),
    (re.compile(r"Input should be (?:'.*'|a valid boolean).*"), "die waarde kan niet"),
    (
        re.compile(r"Input should be greater than or equal to (\S+?)\.?"),
        "moet minstens {0} zijn",
    ),
    (
        re.compile(r"Input should be less than or equal to (\S+?)\.?"),
        "mag hoogstens {0} zijn",
    ),
    (re.compile(r"Input should be .*"), "ongeldige waarde"),
    (re.compile(r"Missing command\.?"), "geef een opdracht"),
    (
        re.compile(r"Got unexpected extra arguments? \((.*)\)"),
        "te veel argumenten ({0})",
    ),
    (
        re.compile(r"Option '(.*)' requires an argument\.?"),
        "optie {0} verwacht een waarde",
    ),
    (
        re.compile(r"Option '(.*)' does not take a value\.?"),
        "optie {0} neemt geen waarde",
    ),
)


def _dutch_usage(command: TyperCommand | TyperGroup, ctx: Any, formatter: Any) -> None:
    pieces = [METAVARS.get(p, p) for p in command.collect_usage_pieces(ctx)]
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)


def _dutch_help_option(option: Any) -> Any:
    if option is not None:
        option.help = HELP_TEXT
    return option


def _dutch_types(command: TyperCommand | TyperGroup, ctx: Any) -> None:
    """Each parameter's type label in Dutch; none for a flag (its name says it)."""
    for param in command.get_params(ctx):
        if not isinstance(param, (TyperOption, TyperArgument)):
            continue
        label = param.display_type(ctx)
        param.display_type_rich = partial(  # type: ignore[method-assign]
            _label, None if label == "<bool>" else TYPE_LABELS.get(label, label)
        )


def _label(label: str | None, ctx: Any) -> str | None:
    return label


class DutchCommand(TyperCommand):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _dutch_usage(self, ctx, formatter)

    def get_help_option(self, ctx: Any) -> Any:
        return _dutch_help_option(super().get_help_option(ctx))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _dutch_types(self, ctx)
        super().format_help(ctx, formatter)


class DutchGroup(TyperGroup):
    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _dutch_usage(self, ctx, formatter)

    def get_help_option(self, ctx: Any) -> Any:
        return _dutch_help_option(super().get_help_option(ctx))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _dutch_types(self, ctx)
        super().format_help(ctx, formatter)


def dutch_message(message: str) -> str:
    """A Typer message in Dutch (ours are Dutch already and stay as they are)."""
    for pattern, dutch in MESSAGES:
        if m := pattern.fullmatch(message.strip()):
            return dutch.format(*m.groups())
    return message


def usage_error(exc: typer.TyperException) -> str | None:
    """A usage error (unknown option or command, missing or wrong value) as one Dutch
    line with where to find help; None when the help was shown instead."""
    kind = type(exc).__name__
    if kind == "NoArgsIsHelpError":
        return None
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None) or (
        param.get_error_hint() if param is not None else None
    )
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    if isinstance(hint, str):  # click names the option's environment variable
        hint = hint.replace("(env var: ", "(omgevingsvariabele: ")
    if kind == "NoSuchOption":
        line = f"onbekende optie {getattr(exc, 'option_name', '')}"
        if possible := getattr(exc, "possibilities", None):
            line += f" (bedoelt u {' of '.join(sorted(possible))}?)"
    elif kind == "MissingParameter":
        line = f"{hint or 'een waarde'} ontbreekt"
    elif hint:
        line = f"ongeldige waarde voor {hint}: {dutch_message(exc.message)}"
    else:
        line = dutch_message(exc.message)
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "maatwerk"
    return f"Fout: {line}. Zie '{where} --help'."
