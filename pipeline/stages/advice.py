"""Advice stage: an adviser's reply → `Advies`, `Voorwaarde`, `Vraag`, or None when it
does not say one thing.

The reader works in three steps, each independent of any mail client:

1. `own_text` (pipeline/stages/advice_text.py): the quoted history is cut off.
2. `reply_text` (same module): the signature and disclaimer are cut off too; text after
   them never counts.
3. The verdict words are read with their scope (pipeline/stages/advice_verdict.py): a
   negator or a word of doubt in the same part of a sentence makes a verdict no
   decision; a condition or reserve makes it a `Voorwaarde`; a question, or a positive
   and a negative verdict, make it None.

Nothing is guessed: any doubt is None (the adviser is asked again), never the opposite.
The mailto buttons of the advice request (`ANSWER_BUTTONS`,
pipeline/stages/advice_answers.py) put the answer in a fixed place, the reply's first
line and its subject; a subject answer and a body that disagree are None.
"""

from __future__ import annotations

import re

from pipeline.models import NEGATIEF, POSITIEF, Advies, Oordeel, Tarief
from pipeline.readers import answers as nz
from pipeline.stages.advice_answers import (
    ANSWER_BUTTONS,
    AnswerButton,
    Voorwaarde,
    Vraag,
)
from pipeline.stages.advice_text import own_text, reply_text
from pipeline.stages.advice_verdict import read, subject_verdict, verdict_of, verdicts

__all__ = [
    "ANSWER_BUTTONS",
    "NEGATIEF",
    "POSITIEF",
    "Advies",
    "AnswerButton",
    "Oordeel",
    "Voorwaarde",
    "Vraag",
    "own_text",
    "parse_approval",
    "parse_icode",
    "parse_reply",
    "proposal",
    "reply_text",
]

_EXPLICIT = re.compile(
    r"^\s*(?:advies|besluit)\s*[:=-]\s*(positief|negatief|niet\s+akkoord|akkoord)\b",
    re.I,
)
_SUBJECT_QUESTION = re.compile(
    r"^(?:(?:re|aw|antw|fw|fwd|wg|doorst|tr|sv)\s*:\s*)*vraag\s*[–—:-]", re.I
)
_DATA_LINE = re.compile(r"^(?:product\s*code|i-?code|tarief)\s*:", re.I)
_GREETING = re.compile(
    r"(?i)^(?:beste|hoi|hallo|dag|goedemorgen|goedemiddag|hi|hello|dear|liebe\w*|sehr"
    r" geehrte\w*|bonjour)\b"
    r"[^.!?]{0,40},?$"
)
_QUESTION = re.compile(r"^\s*(?:vraag|vragen)\s*[:\-]\s*(.*)", re.I | re.S)
_ICODE = re.compile(r"^\s*i-?code\s*:\s*([0-9A-Za-z]{2,10})", re.I | re.M)


def _explanation(text: str) -> tuple[str | None, str | None, Tarief | None]:
    """Toelichting, productcode and tarief from the reply's lines."""
    productcode: str | None = None
    tarief: Tarief | None = None
    kept: list[str] = []
    for line in text.split("\n"):
        if re.match(r"(?i)^product\s*code\s*:", line):
            productcode = nz.productcode(line)
        elif re.match(r"(?i)^tarief\s*:", line):
            bedrag = nz.amount(line)
            if bedrag is not None:
                # validated as `Tarief` types it: nz.unit gives a unit or None
                tarief = Tarief.model_validate(
                    {"bedrag": bedrag, "eenheid": nz.unit(line)}
                )
        elif _DATA_LINE.match(line) or _EXPLICIT.match(line) or _GREETING.match(line):
            continue
        else:
            line = re.sub(r"(?i)^toelichting\s*:\s*", "", line)
            found, rest = verdicts(line)
            if not (
                found and len(re.sub(r"(?i)\W|\badvies\b", "", rest)) < 3
            ):  # 'Positief.', 'Akkoord!'
                kept.append(line)
    return nz.clean("\n".join(kept)), productcode, tarief


def _voorwaarde(
    oordeel: Oordeel, conditions: list[str], toelichting: str | None
) -> Voorwaarde:
    return Voorwaarde(
        oordeel=oordeel, voorwaarde="; ".join(conditions), toelichting=toelichting
    )


def parse_reply(body: str, subject: str = "") -> Advies | Voorwaarde | None:
    """An advice reply → `Advies`, `Voorwaarde` (a verdict with a condition or reserve),
    or None."""
    text = reply_text(body)
    oordeel, conditions = verdict_of(text, subject)
    if oordeel is None:
        return None
    toelichting, productcode, tarief = _explanation(text)
    if conditions:
        return _voorwaarde(oordeel, conditions, toelichting)
    return Advies(
        oordeel=oordeel, toelichting=toelichting, productcode=productcode, tarief=tarief
    )


def _question_line(text: str) -> re.Match[str] | None:
    """The reply's 'Vraag: …' line, unless it says there is none ('Vragen: geen.')."""
    m = _QUESTION.match(text)
    if m and re.match(r"(?i)geen\b", m.group(1).strip()):
        return None
    return m


def _question(text: str, subject: str, line: re.Match[str] | None) -> Vraag | None:
    """The question button was used: its text must be there and not come with a
    verdict."""
    tekst = nz.clean(line.group(1) if line else text)
    if not tekst or subject_verdict(subject) or (not line and not read(text).empty()):
        return None
    return Vraag(tekst=tekst)


def parse_approval(body: str, subject: str = "") -> Advies | Vraag | Voorwaarde | None:
    """A reply to a request for approval: 'akkoord', 'niet akkoord …', or 'Vraag: …'."""
    text = reply_text(body)
    line = _question_line(text)
    if line or _SUBJECT_QUESTION.match(subject or ""):
        return _question(text, subject, line)
    oordeel, conditions = verdict_of(text, subject)
    if oordeel is None:
        return None
    toelichting = _explanation(text)[0]
    if conditions:
        return _voorwaarde(oordeel, conditions, toelichting)
    return Advies(oordeel=oordeel, toelichting=toelichting)


def parse_icode(body: str) -> str | None:
    """ICM's proposed i-code ('i-code: 45A53' or 'I-code: 54001'), if the reply gives
    one."""
    m = _ICODE.search(reply_text(body))
    return m.group(1).upper() if m else None


def proposal(body: str) -> tuple[str | None, Tarief | None]:
    """The 'Productcode:' and 'Tarief:' lines of a reply's own text (ICM's answer to the
    question for a tariff), whatever else it says."""
    _, productcode, tarief = _explanation(reply_text(body))
    return productcode, tarief
