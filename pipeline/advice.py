"""Advice stage: an adviser's reply → `Advies`, or None when it does not say clearly.

Only the reply's own text counts: everything from the quoted history on (Outlook's
'Van:/Verzonden:' block, '-----Oorspronkelijk bericht-----', 'Op … schreef …:', '>'
lines) is cut off first. Nothing is guessed: a reply that says both or neither is None.
"""
from __future__ import annotations

import re
from typing import Optional

from . import normalize as nz
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
        if re.match(r"^(product\s*code|i-?code)\s*:", s, re.I):
            productcode = nz.productcode(s)
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
