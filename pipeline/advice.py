"""Advice stage: an adviser's reply → `Advies`, or None when it does not say clearly.

Only the reply's own text counts: everything from the quoted history on (Outlook's
'Van:/Verzonden:' block, '-----Oorspronkelijk bericht-----', 'Op … schreef …:', '>'
lines) is cut off first. Nothing is guessed: a reply that says both or neither is None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .readers import answers as nz
from .models import Advies, Tarief

_QUOTE_START = re.compile(
    r"^\s*(?:(?:Van|From)\s*:\s.*|-{2,}\s*(?:Oorspronkelijk bericht|Original Message|Doorgestuurd bericht|"
    r"Forwarded message)\s*-{2,}.*|Op .{4,120} schreef .*:|On .{4,120} wrote:|>.*)$",
    re.I,
)
_SIGNATURE = re.compile(r"^\s*(met vriendelijke groet|vriendelijke groet|hartelijke groet|groet(en)?|mvg|m\.v\.g\.)\b",
                        re.I)
_NEG = re.compile(r"\b(negatief|niet\s+akkoord|niet\s+mee\s+eens|afwijzen|afgewezen|geen\s+akkoord)\b", re.I)
_POS = re.compile(r"\b(positief|akkoord|mee\s+eens|goedgekeurd|instemmen)\b", re.I)
_EXPLICIT = re.compile(r"^\s*advies\s*[:=-]\s*(positief|negatief)\b", re.I | re.M)


def own_text(body: str) -> str:
    """The reply's own text, without quoted history."""
    lines = body.replace("\r\n", "\n").split("\n")
    out = []
    for line in lines:
        if _QUOTE_START.match(line):
            break
        out.append(line)
    return "\n".join(out).strip()


def _verdict(text: str) -> Optional[str]:
    m = _EXPLICIT.search(text)
    if m:
        return m.group(1).lower()
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    for scope in (first, text):
        neg = bool(_NEG.search(scope))
        pos = bool(_POS.search(_NEG.sub("", scope)))
        if neg != pos:
            return "negatief" if neg else "positief"
        if neg and pos:
            return None
    return None


def parse_reply(body: str) -> Optional[Advies]:
    text = own_text(body)
    oordeel = _verdict(text)
    if oordeel is None:
        return None
    productcode = tarief = None
    explanation: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if _SIGNATURE.match(s):
            break
        if re.match(r"^product\s*code\s*:", s, re.I):
            productcode = nz.productcode(s)
        elif re.match(r"^i-?code\s*:", s, re.I):
            continue
        elif re.match(r"^tarief\s*:", s, re.I):
            bedrag = nz.amount(s)
            if bedrag is not None:
                tarief = Tarief(bedrag=bedrag, eenheid=nz.unit(s))
        elif _EXPLICIT.match(s) or (not explanation and s and _verdict(s) and len(s) < 40):
            continue
        else:
            explanation.append(line)
    toelichting = nz.clean("\n".join(explanation))
    return Advies(oordeel=oordeel, toelichting=toelichting, productcode=productcode, tarief=tarief)


@dataclass(frozen=True)
class Voorwaarde:
    """An advice with a condition or reserve ('positief, mits …', 'voorlopig positief'): no
    decision; ICM is shown the condition and decides."""

    oordeel: str  # what the advice would be without the condition: "positief" | "negatief"
    voorwaarde: str  # the condition as written
    toelichting: Optional[str] = None


@dataclass(frozen=True)
class Vraag:
    """A reviewer's question to the referrer instead of a decision (Rijk van Nijmegen)."""

    tekst: str


_QUESTION = re.compile(r"^\s*(vraag|vragen)\s*[:\-]\s*(.+)", re.I | re.S)
_APPROVE_NEG = re.compile(r"\b(niet\s+akkoord|geen\s+akkoord|afgewezen|afwijzen|niet\s+mee\s+eens|negatief)\b", re.I)
_APPROVE_POS = re.compile(r"\b(akkoord|goedgekeurd|mee\s+eens|positief|ga\s+je\s+gang|akoord)\b", re.I)


def parse_approval(body: str) -> Optional[Advies | Vraag]:
    """A reply to a request for approval: 'akkoord', 'niet akkoord …', or 'Vraag: …'."""
    text = own_text(body)
    m = _QUESTION.match(text)
    if m:
        return Vraag(tekst=nz.clean(_strip_signature(m.group(2))) or "")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    for scope in (first, text):
        neg = bool(_APPROVE_NEG.search(scope))
        pos = bool(_APPROVE_POS.search(_APPROVE_NEG.sub("", scope)))
        if neg != pos:
            rest = nz.clean(_strip_signature(text.split("\n", 1)[1] if "\n" in text else ""))
            return Advies(oordeel="negatief" if neg else "positief", toelichting=rest or nz.clean(first))
        if neg and pos:
            return None
    return None


def _strip_signature(text: str) -> str:
    out = []
    for line in text.splitlines():
        if _SIGNATURE.match(line.strip()):
            break
        out.append(line)
    return "\n".join(out)


def parse_icode(body: str) -> Optional[str]:
    """ICM's proposed i-code ('i-code: 45A53' or 'I-code: 54001'), if the reply gives one."""
    m = re.search(r"^\s*i-?code\s*:\s*([0-9A-Za-z]{2,10})", own_text(body), re.I | re.M)
    return m.group(1).upper() if m else None
