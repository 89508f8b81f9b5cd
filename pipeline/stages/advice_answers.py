"""What an adviser can answer: the one-click answer buttons of an advice request, and
the typed results the advice stage reads from a reply besides `Advies` (in
pipeline/models.py): `Voorwaarde` and `Vraag`.

The mailto buttons (`ANSWER_BUTTONS`) put the answer in a fixed place, the reply's first
line and its subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pipeline.models import Oordeel


@dataclass(frozen=True)
class AnswerButton:
    """A one-click answer in the advice request: a mailto link to the inkoop mailbox."""

    label: str  # on the button
    answer: str  # the reply's first line; also the start of its subject
    follow: str = ""  # what follows in the body, for the adviser to fill in


# The button rows a mail template places with a line '[[knoppen: advies]]'.
_APPROVAL = (
    AnswerButton("Akkoord", "Besluit: akkoord", "Toelichting: "),
    AnswerButton("Niet akkoord", "Besluit: niet akkoord", "Toelichting: "),
)
ANSWER_BUTTONS: Final[dict[str, tuple[AnswerButton, ...]]] = {
    "advies": (
        AnswerButton("Positief advies", "Advies: positief", "Toelichting: "),
        AnswerButton("Negatief advies", "Advies: negatief", "Toelichting: "),
    ),
    "akkoord": (
        *_APPROVAL,
        AnswerButton("Vraag stellen", "Vraag: "),
    ),  # a step whose role may ask the referrer
    "akkoord_zonder_vraag": _APPROVAL,
}


@dataclass(frozen=True)
class Voorwaarde:
    """An advice with a condition or reserve ('positief, mits …', 'voorlopig positief'):
    no decision; ICM is shown the condition and decides."""

    oordeel: Oordeel  # what the advice would be without the condition
    voorwaarde: str  # the condition as written
    toelichting: str | None = None


@dataclass(frozen=True)
class Vraag:
    """A reviewer's question to the referrer instead of a decision (Rijk van
    Nijmegen)."""

    tekst: str
