"""An adviser's reply → its own text: steps 1 and 2 of the advice stage.

1. `own_text`: the quoted history is cut off at the first attribution line ('Op …
   schreef …:', 'Op … heeft … het volgende geschreven:', 'On … wrote:', 'Am … schrieb
   …:', 'Le … a écrit :', also wrapped over lines), header block ('Van:/From:/Von:/De :'
   followed by 'Verzonden:/Sent:/ Gesendet:/Envoyé :' …, on one line or one field per
   line), separator ('_____', '-----Oorspronkelijk bericht-----', forwards) or '>' line.
2. `reply_text`: the signature and disclaimer are cut off too ('Met vriendelijke groet',
   'Mvg', 'Kind regards', '-- ', 'Verzonden vanaf mijn iPhone', …); text after them
   never counts.
"""

from __future__ import annotations

import re

# --- 1. quoted history
# -------------------------------------------------------------------

# An attribution line, tested on a line joined with the next two (clients wrap it).
_ATTRIBUTION = re.compile(
    r"^(?:op\b.*\d.*\b(?:schreef\b.*|heeft\b.*\bgeschreven\s*|het volgende"
    r" geschreven\s*)"
    r"|on\b.*\d.*\bwrote\s*|am\b.*\d.*\bschrieb\b.*|le\b.*\d.*\ba\s+[ée]crit\s*):\s*$",
    re.I,
)
_HEADER_FROM = re.compile(r"^\**(?:van|from|von|de)\**\s*:", re.I)
_HEADER_OTHER = re.compile(
    r"(?:^|\s)\**(?:verzonden|sent|gesendet|envoy[ée]|datum|date|aan|to|an|[àa]|onderwerp|"
    r"subject|betreff|objet|cc)\**\s*:",
    re.I,
)
_SEPARATOR = re.compile(
    r"^(?:_{8,}|-{5,}|-{2,}\s*(?:oorspronkelijk bericht|original message|doorgestuurd"
    r" bericht|forwarded message|"
    r"urspr[üu]ngliche nachricht|weitergeleitete nachricht|message d'origine|message"
    r" transf[ée]r[ée]).*"
    r"|(?:begin doorgestuurd bericht|begin forwarded message|anfang der"
    r" weitergeleiteten nachricht|"
    r"d[ée]but du message r[ée]exp[ée]di[ée])\s*:?)$",
    re.I,
)


def _normalise(body: str) -> list[str]:
    text = (
        body.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\u00a0", " ")
        .replace("\u200b", "")
    )
    return [ln.strip() for ln in text.replace("\u2019", "'").split("\n")]


def _quote_starts(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.startswith(">") or _SEPARATOR.match(line):
        return True
    if re.match(r"(?i)(?:op|on|am|le)\b", line) and any(
        _ATTRIBUTION.match(" ".join(lines[i : i + n])[:300]) for n in (1, 2, 3)
    ):
        return True
    if _HEADER_FROM.match(line):
        # 'Van:' is history when it has an address or another header field follows
        # (Outlook writes 'From: X Sent: Y' on one line, or in HTML one field and value
        # per line)
        near = [ln for ln in lines[i + 1 : i + 7] if ln]
        return (
            "@" in line
            or bool(_HEADER_OTHER.search(line[5:]))
            or any(_HEADER_OTHER.match(ln) for ln in near)
        )
    return False


def own_text(body: str) -> str:
    """The reply's own text, without quoted history (the signature is kept)."""
    lines = _normalise(body)
    end = next((i for i in range(len(lines)) if _quote_starts(lines, i)), len(lines))
    return "\n".join(lines[:end]).strip()


# --- 2. signature
# --------------------------------------------------------------------------

_SIGN_OFF = re.compile(
    r"^(?:met\s+)?(?:vriendelijke|hartelijke|collegiale|beste|warme|fijne)\s+groet(?:en)?\b|^groet(?:en|jes)?\b|^gr\.?(?:\s|,|$)"
    r"|^m\.?v\.?g\.?(?:\s|,|$)|^(?:kind|best|warm|many)\s+regards\b|^regards\b|^cheers\b|^best,?$"
    r"|^mit\s+freundlichen\s+gr[üu](?:ß|ss)en\b|^(?:viele|beste|liebe|freundliche)\s+gr[üu](?:ß|ss)e\b|^mfg\b"
    r"|^cordialement\b|^bien\s+(?:[àa]\s+vous|cordialement)\b|^--\s*$",
    re.I,
)
_DEVICE = re.compile(
    r"^(?:verzonden|verstuurd|sent|gesendet|envoy[ée]|von)\s+(?:vanaf|vanuit|met|via|from|with|"
    r"de|mit|meinem)\b|^(?:get|download)\s+outlook\b|^outlook\s+voor\s+(?:ios|android)\b",
    re.I,
)
_DISCLAIMER = re.compile(
    r"^(?:disclaimer\b|dit\s+(?:e-?mail)?bericht\s+(?:is|kan)\b|de\s+informatie\s+(?:in|verzonden"
    r" met)\s+dit\b"
    r"|aan\s+dit\s+bericht\s+kunnen\s+geen\s+rechten|this\s+(?:e-?mail|message)\s+(?:and|is|may|contains)\b"
    r"|diese\s+e-?mail\s+(?:enth[äa]lt|ist|kann)\b|ce\s+message\s+(?:et|est|peut)\b|denk\s+aan\s+het\s+milieu\b"
    r"|please\s+consider\s+the\s+environment\b)",
    re.I,
)
_KENMERK_LINE = re.compile(r"^\s*kenmerk\s*:", re.I)


def _is_sign_off(line: str) -> bool:
    # a greeting ends the reply when it stands as a line of its own ('Groet, Anne'), not
    # when it starts a sentence of the answer
    return (len(line) <= 60 and bool(_SIGN_OFF.match(line))) or bool(
        _DEVICE.match(line) or _DISCLAIMER.match(line)
    )


def reply_text(body: str) -> str:
    """The reply's own text without quoted history, signature, disclaimer and the
    `Kenmerk:` line a one-click answer carries (the answer's key, checked by
    pipeline/workflow/verify.py; never passed on).
    """
    lines = [ln for ln in own_text(body).split("\n") if not _KENMERK_LINE.match(ln)]
    end = next((i for i, ln in enumerate(lines) if _is_sign_off(ln)), len(lines))
    return "\n".join(lines[:end]).strip()
