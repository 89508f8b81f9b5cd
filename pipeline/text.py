"""Values as text that can never become control: one definition for every place a value
goes.

A value from a form or a mail may hold C0/C1 control characters (NUL, BEL, ESC, CSI …).
Left in, they make openpyxl refuse the register index, reach a terminal as escape
sequences (colours, OSC 8 hyperlinks, a cleared screen) and reach mail headers. The
records strip them when a value comes in (pipeline/models.py); documents, the index,
mail headers and the command line strip them again where a value leaves, so a value that
bypassed the records (an old store row) is harmless too.
"""

from __future__ import annotations

import re
from typing import Final

# Line-like controls become a line break: Word's manual line break (VT), a page break
# (FF), NEL and the Unicode line and paragraph separators; CR LF and a lone CR are one
# line break.
_LINE_BREAKS: Final = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 (except TAB and LF), DEL and C1.
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_WHITESPACE: Final = re.compile(r"\s+")


def printable(value: str) -> str:
    """`value` without control characters; line breaks kept as LF, tabs kept."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))


def one_line(value: str) -> str:
    """`value` as one line (a mail header, a table cell that must not wrap): no control
    characters, every run of white space (line breaks and tabs included) one space."""
    return _WHITESPACE.sub(" ", printable(value)).strip()


def norm(text: str) -> str:
    """`text` as the words matching compares: lower case, letters and digits, single
    spaces."""
    return re.sub(r"[^0-9a-zà-ÿ]+", " ", text.lower()).strip()
