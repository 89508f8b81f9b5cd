"""How the commands print: the consoles, and values (from a form, a mail, the store)
as text that is never read as markup."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from pipeline.config import Settings
from pipeline.text import printable

# piped output: wide tables, no wrapping; ':name:' in a value stays text, never an emoji
out = Console(width=None if sys.stdout.isatty() else 200, emoji=False)
err = Console(width=None if sys.stderr.isatty() else 200, stderr=True, emoji=False)


def lit(value: object) -> Text:
    """A value (from a form, a mail, the store) as a table cell: printed literally —
    never markup ('[/b]', '[link=…]'), never an escape sequence (control characters
    removed).
    """
    return Text("—" if value is None or value == "" else printable(str(value)))


def esc(value: object) -> str:
    """A value inside a line that has markup of its own: escaped, control characters
    removed."""
    return escape(printable(str(value)))


def local(moment: datetime, settings: Settings) -> str:
    """A stored time (UTC; SQLite returns it without zone) as local wall time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(ZoneInfo(settings.advice.timezone)):%Y-%m-%d %H:%M:%S}"
