"""Advice stage: an adviser's reply → `Advies`, `Voorwaarde`, `Vraag`, or None when it
does not say one thing.

The reader works in three steps, each independent of any mail client:

1. `own_text`: the quoted history is cut off at the first attribution line ('Op …
   schreef …:', 'Op … heeft … het volgende geschreven:', 'On … wrote:', 'Am … schrieb
   …:', 'Le … a écrit :', also wrapped over lines), header block ('Van:/From:/Von:/De :'
   followed by 'Verzonden:/Sent:/ Gesendet:/Envoyé :' …, on one line or one field per
   line), separator ('_____', '-----Oorspronkelijk bericht-----', forwards) or '>' line.
2. `reply_text`: the signature and disclaimer are cut off too ('Met vriendelijke groet',
   'Mvg', 'Kind regards', '-- ', 'Verzonden vanaf mijn iPhone', …); text after them
   never counts.
3. The verdict words are read with their scope: a negator or a word of doubt in the same
   part of a sentence makes a verdict no decision ('niet positief', 'geen positief
   advies', 'kan niet instemmen'); a condition or reserve ('mits', 'op voorwaarde dat',
   'voorlopig') makes it a `Voorwaarde`; a question, or a positive and a negative
   verdict, make it None.

Nothing is guessed: any doubt is None (the adviser is asked again), never the opposite.
The mailto buttons of the advice request (`ANSWER_BUTTONS`) put the answer in a fixed
place, the reply's first line and its subject; a subject answer and a body that disagree
are None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from pipeline.models import Advies, Tarief
from pipeline.readers import answers as nz


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

POSITIEF: Final = "positief"
NEGATIEF: Final = "negatief"

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


def _is_sign_off(line: str) -> bool:
    # a greeting ends the reply when it stands as a line of its own ('Groet, Anne'), not
    # when it starts a sentence of the answer
    return (len(line) <= 60 and bool(_SIGN_OFF.match(line))) or bool(
        _DEVICE.match(line) or _DISCLAIMER.match(line)
    )


_KENMERK_LINE = re.compile(r"^\s*kenmerk\s*:", re.I)


def reply_text(body: str) -> str:
    """The reply's own text without quoted history, signature, disclaimer and the
    `Kenmerk:` line a one-click answer carries (the answer's key, checked by
    pipeline/verify.py; never passed on).
    """
    lines = [ln for ln in own_text(body).split("\n") if not _KENMERK_LINE.match(ln)]
    end = next((i for i, ln in enumerate(lines) if _is_sign_off(ln)), len(lines))
    return "\n".join(lines[:end]).strip()


# --- 3. reading the verdict
# ----------------------------------------------------------------

# 'niet akkoord' is the fixed negative answer; 'nog niet akkoord' is not yet a decision
_NEG_FIXED = re.compile(
    r"(?<!nog"
    r" )\b(?:niet|geen)\s+(?:akkoord|accoord|akoord|mee\s+eens|eens\s+met|goedgekeurd)\b|\bnot\s+approved\b"
    r"|\b(?:do\s+not|don't|cannot|can't)\s+(?:agree|approve)\b|\bnicht\s+(?:einverstanden|genehmigt)\b"
    r"|\bpas\s+d'accord\b",
    re.I,
)
_POS_FIXED = re.compile(
    r"\bgeen\s+(?:enkel\s+)?bezwa(?:a)?r(?:en)?\b|\bno\s+objections?\b|\bkeine\s+einw[äa]nde\b",
    re.I,
)
_POS = re.compile(
    r"\b(?:positief|positiv|positive|positif|akkoord|accoord|akoord|einverstanden|agreed?|approve|favorable"
    r"|instemm\w*|ingestemd|stem(?:men)?\s+(?:\w+\s+){0,2}in|goedkeuren|keur\w*\s+(?:\w+\s+){0,2}goed"
    r"|(?:mee|het)\s+(?:\w+\s+){0,4}eens(?=\s*(?:met\b|[.,!;]|$))|ga\s+je\s+gang|d'accord|positieve?\s+(?:advies|beoordeling|besluit|oordeel))\b",
    re.I,
)
_NEG = re.compile(
    r"\b(?:negatief|negativ|negative|n[ée]gatif|d[ée]favorable|afwijzen|af\s+te\s+wijzen|wijs\w*\s+(?:\w+\s+){0,3}af"
    r"|afkeuren|keur\w*\s+(?:\w+\s+){0,2}af|ablehnen|lehne\w*\s+(?:\w+\s+){0,2}ab|disagreed?|oneens"
    r"|negatieve?\s+(?:advies|beoordeling|besluit|oordeel))\b",
    re.I,
)
# past participles decide only as a short answer ('Goedgekeurd.', 'Rejected, too
# expensive'), not in an explanation ('de eerdere aanvraag is afgewezen')
_POS_SHORT = re.compile(
    r"\b(?:goedgekeurd|approved|genehmigt|zugestimmt|approuv[ée]e?)\b", re.I
)
_NEG_SHORT = re.compile(
    r"\b(?:afgewezen|afgekeurd|rejected|declined|abgelehnt|refus[ée]e?)\b", re.I
)
_NEGATOR = re.compile(
    r"\b(?:niet|geen|nooit|niets|noch|onvoldoende|moeilijk|not|no|never|cannot|nicht|kein\w*|nie"
    r"|nimmer|jamais)\b|n't\b",
    re.I,
)
_DOUBT = re.compile(
    r"\b(?:misschien|wellicht|mogelijk|twijfel\w*|waarschijnlijk|denk|neig\w*|lijkt|eventueel|zou"
    r"|zouden|voordat|perhaps|maybe|probably|might|would|think|vielleicht|wahrscheinlich|w[üu]rde"
    r"|peut-[êe]tre|probablement)\b",
    re.I,
)
# a condition: the text after it is shown to ICM ('mits de inzet naar 2 uur per week
# gaat')
_CONDITION = re.compile(
    r"\b(?:mits|tenzij|(?:op|onder|met)\s+(?:\w+\s+){0,2}voorwaarden?(?:\s+dat|\s+van)?|als\s+voorwaarde(?:\s+dat)?"
    r"|onder\s+(?:het\s+)?voorbehoud(?:\s+dat|\s+van)?|(?:alleen|enkel|pas|wel|uitsluitend)\s+(?:als|indien|wanneer)"
    r"|zolang|provided\s+(?:that)?|on\s+condition\s+(?:that)?|subject\s+to|as\s+long\s+as|only\s+if|unless"
    r"|vorausgesetzt(?:,?\s+dass)?|unter\s+(?:der\s+)?(?:bedingung|vorbehalt)(?:,?\s+dass)?|sofern|au[ßs]er\s+wenn"
    r"|sous\s+r[ée]serve(?:\s+que|\s+de)?|[àa]\s+condition\s+(?:que|de)?)\b\s*:?",
    re.I,
)
# 'als'/'indien' is a condition only right after a verdict or opening the part with it
# ('positief als de inzet omlaag gaat', 'Als de inzet omlaag gaat, dan positief')
_IF = re.compile(r"\b(?:als|indien|wanneer|if|wenn|falls|si)\b", re.I)
_VERDICT_IF = re.compile(
    rf"(?:{_POS.pattern}|{_NEG.pattern})\s*,?\s*\b(?:als|indien|wanneer|if|wenn|falls)\s+"
    r"(?P<c>[^.;!?]+)",
    re.I,
)
_PROVISIONAL = re.compile(
    r"\b(?:voorlopig|vooralsnog|voorshands|in\s+principe|principieel|provisionally|"
    r"in\s+principle|vorl[äa]ufig|grunds[äa]tzlich|provisoire(?:ment)?)\b"
    r"|\bdefinitieve?\s+(?:advies|besluit|oordeel)\s+(?:volgt|komt)\b|\b(?:advies|besluit|oordeel)\s+volgt\b"
    r"|\bnog\s+niet\s+definitief\b",
    re.I,
)
# a reserve after a verdict: 'Akkoord, maar niet voor 10 uur per week', 'behalve het
# tarief'
_RESERVE = re.compile(
    r"^(?:maar|but|aber|mais)\s+(?:niet|geen|not|no|nicht|kein\w*|pas)\b|^(?:behalve|uitgezonderd|"
    r"except|au[ßs]er|sauf)\b",
    re.I,
)
# parts of a sentence: a negator or doubt does not reach across these
_SEGMENT = re.compile(
    r"[;:]|\s[-–—]\s|\b(?=(?:maar|want|omdat|dus|echter|doch|aangezien|hoewel|terwijl|zodat|but|because"
    r"|since|however|aber|weil|denn|jedoch|mais|car)\b)",
    re.I,
)
_EXPLICIT = re.compile(
    r"^\s*(?:advies|besluit)\s*[:=-]\s*(positief|negatief|niet\s+akkoord|akkoord)\b",
    re.I,
)
_SUBJECT_ANSWER = re.compile(
    r"\b(?:advies|besluit)\s*:\s*(positief|negatief|niet\s+akkoord|akkoord)\b", re.I
)
_SUBJECT_QUESTION = re.compile(
    r"^(?:(?:re|aw|antw|fw|fwd|wg|doorst|tr|sv)\s*:\s*)*vraag\s*[–—:-]", re.I
)
_DATA_LINE = re.compile(r"^(?:product\s*code|i-?code|tarief)\s*:", re.I)


@dataclass
class _Reading:
    asserted: set[str] = field(default_factory=set)  # verdicts said outright
    denied: set[str] = field(default_factory=set)  # verdicts negated ('niet positief')
    doubt: bool = False  # a question, or a word of doubt in a verdict's scope
    conditions: list[str] = field(default_factory=list)

    def verdict(self) -> str | None:
        """The one verdict said, or None when none, both, or one and its denial."""
        if self.doubt or len(self.asserted) != 1:
            return None
        oordeel = next(iter(self.asserted))
        return None if oordeel in self.denied else oordeel

    def empty(self) -> bool:
        return not (self.asserted or self.denied or self.doubt)


def _sentences(text: str) -> list[str]:
    """Sentences; a line starting in lower case continues a wrapped sentence."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line:
            continue
        if out and line[0].islower() and not re.search(r"[.!?:]$", out[-1]):
            out[-1] += " " + line
        else:
            out.append(line)
    return [
        s.strip() for para in out for s in re.split(r"(?<=[.!?])\s+", para) if s.strip()
    ]


def _mask(text: str, rx: re.Pattern[str]) -> tuple[str, int]:
    """The text with `rx`'s matches blanked out, and how many there were."""
    hits = list(rx.finditer(text))
    for m in hits:
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return text, len(hits)


def _verdicts(part: str) -> tuple[list[str], str]:
    """The verdicts in one comma-part (fixed answers first), and the part without them."""
    part = re.sub(
        r"\b(?:niet|non|on)-\w+", lambda m: " " * len(m.group()), part, flags=re.I
    )  # 'niet-gecontracteerd'
    found: list[str] = []
    short = len(part.split()) <= 3
    for rx, oordeel, fixed in (
        (_NEG_FIXED, NEGATIEF, True),
        (_POS_FIXED, POSITIEF, True),
        (_NEG, NEGATIEF, False),
        (_POS, POSITIEF, False),
        (_NEG_SHORT, NEGATIEF, None),
        (_POS_SHORT, POSITIEF, None),
    ):
        part, n = _mask(part, rx)
        if n and (fixed is not None or short):
            found += [oordeel + ("!" if fixed else "")] * n
    return found, part


def _read_sentence(sentence: str, reading: _Reading) -> None:
    question = sentence.rstrip().endswith("?")
    for segment in _SEGMENT.split(sentence):
        segment = segment.strip()
        parts = [p.strip() for p in segment.split(",")]
        earlier_neg = earlier_doubt = False
        for k, part in enumerate(parts):
            if _RESERVE.match(part) and reading.asserted:
                reading.conditions.append(", ".join(parts[k:]))
            found, rest = _verdicts(part)
            negated = earlier_neg or bool(_NEGATOR.search(rest))
            doubtful = earlier_doubt or question or bool(_DOUBT.search(rest))
            for v in found:
                oordeel = v.rstrip("!")
                if doubtful:
                    reading.doubt = True
                elif negated:
                    if v.endswith(
                        "!"
                    ):  # 'niet akkoord' with another negator: no longer clear
                        reading.doubt = True
                    reading.denied.add(oordeel)
                else:
                    reading.asserted.add(oordeel)
            # 'geen opmerkingen, akkoord': a short 'geen …' part says nothing about what
            # follows
            short_none = (
                bool(re.match(r"(?i)(?:geen|no|kein\w*)\b", rest.strip()))
                and len(part.split()) <= 3
            )
            earlier_neg = earlier_neg or (
                bool(_NEGATOR.search(rest)) and not short_none
            )
            earlier_doubt = earlier_doubt or bool(_DOUBT.search(rest))
    if _PROVISIONAL.search(sentence):
        reading.conditions.append(sentence.rstrip(".!"))
    for m in _CONDITION.finditer(sentence):
        reading.conditions.append(
            sentence[m.end() :].strip(" ,.;!") or sentence.rstrip(".!")
        )
    if not _verdicts(sentence)[0]:
        return
    after = _VERDICT_IF.search(sentence)
    if after:
        reading.conditions.append(after.group("c").strip(" ,"))
    m = _IF.match(sentence)
    if m and re.search(r"(?i)\b(?:dan|then|dann|alors)\b", sentence):
        reading.conditions.append(
            re.split(r"(?i),?\s*\b(?:dan|then|dann|alors)\b", sentence[m.end() :])[
                0
            ].strip()
        )


def _read(text: str) -> _Reading:
    reading = _Reading()
    for sentence in _sentences(text):
        _read_sentence(sentence, reading)
    return reading


def _subject_verdict(subject: str) -> str | None:
    m = _SUBJECT_ANSWER.search(subject or "")
    return (
        None
        if m is None
        else (POSITIEF if m.group(1).lower() in ("positief", "akkoord") else NEGATIEF)
    )


def _decide(text: str, subject: str) -> tuple[str | None, list[str]]:
    """The verdict of a reply and its conditions: None when it does not say one thing."""
    reading = _read(text)
    by_subject = _subject_verdict(subject)
    oordeel = reading.verdict()
    if by_subject is not None:
        # the button put the answer in the subject; the body may leave it out, not
        # contradict it
        if reading.empty():
            oordeel = by_subject
        elif oordeel != by_subject:
            oordeel = None
    return oordeel, list(
        dict.fromkeys(c.strip(" ,.;!") for c in reading.conditions if c.strip(" ,.;!"))
    )


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
                tarief = Tarief(bedrag=bedrag, eenheid=nz.unit(line))
        elif (
            _DATA_LINE.match(line)
            or _EXPLICIT.match(line)
            or re.match(
                r"(?i)^(?:beste|hoi|hallo|dag|goedemorgen|goedemiddag|hi|hello|dear|liebe\w*|sehr"
                r" geehrte\w*|bonjour)\b"
                r"[^.!?]{0,40},?$",
                line,
            )
        ):
            continue
        else:
            line = re.sub(r"(?i)^toelichting\s*:\s*", "", line)
            found, rest = _verdicts(line)
            if not (
                found and len(re.sub(r"(?i)\W|\badvies\b", "", rest)) < 3
            ):  # 'Positief.', 'Akkoord!'
                kept.append(line)
    return nz.clean("\n".join(kept)), productcode, tarief


def parse_reply(body: str, subject: str = "") -> Advies | Voorwaarde | None:
    """An advice reply → `Advies`, `Voorwaarde` (a verdict with a condition or reserve),
    or None."""
    text = reply_text(body)
    oordeel, conditions = _decide(text, subject)
    if oordeel is None:
        return None
    toelichting, productcode, tarief = _explanation(text)
    if conditions:
        return Voorwaarde(
            oordeel=oordeel, voorwaarde="; ".join(conditions), toelichting=toelichting
        )
    return Advies(
        oordeel=oordeel, toelichting=toelichting, productcode=productcode, tarief=tarief
    )  # type: ignore[arg-type]


@dataclass(frozen=True)
class Voorwaarde:
    """An advice with a condition or reserve ('positief, mits …', 'voorlopig positief'):
    no decision; ICM is shown the condition and decides."""

    oordeel: (
        str  # what the advice would be without the condition: "positief" | "negatief"
    )
    voorwaarde: str  # the condition as written
    toelichting: str | None = None


@dataclass(frozen=True)
class Vraag:
    """A reviewer's question to the referrer instead of a decision (Rijk van Nijmegen)."""

    tekst: str


_QUESTION = re.compile(r"^\s*(?:vraag|vragen)\s*[:\-]\s*(.*)", re.I | re.S)


def parse_approval(body: str, subject: str = "") -> Advies | Vraag | Voorwaarde | None:
    """A reply to a request for approval: 'akkoord', 'niet akkoord …', or 'Vraag: …'."""
    text = reply_text(body)
    m = _QUESTION.match(text)
    if m and re.match(r"(?i)geen\b", m.group(1).strip()):  # 'Vragen: geen. Akkoord.'
        m = None
    if m or _SUBJECT_QUESTION.match(subject or ""):
        # the question button: its text must be there and not come with a verdict
        tekst = nz.clean(m.group(1) if m else text)
        if (
            not tekst
            or _subject_verdict(subject)
            or (not m and not _read(text).empty())
        ):
            return None
        return Vraag(tekst=tekst)
    oordeel, conditions = _decide(text, subject)
    if oordeel is None:
        return None
    toelichting = _explanation(text)[0]
    if conditions:
        return Voorwaarde(
            oordeel=oordeel, voorwaarde="; ".join(conditions), toelichting=toelichting
        )
    return Advies(oordeel=oordeel, toelichting=toelichting)  # type: ignore[arg-type]


def parse_icode(body: str) -> str | None:
    """ICM's proposed i-code ('i-code: 45A53' or 'I-code: 54001'), if the reply gives
    one."""
    m = re.search(
        r"^\s*i-?code\s*:\s*([0-9A-Za-z]{2,10})", reply_text(body), re.I | re.M
    )
    return m.group(1).upper() if m else None


def proposal(body: str) -> tuple[str | None, Tarief | None]:
    """The 'Productcode:' and 'Tarief:' lines of a reply's own text (ICM's answer to the
    question for a tariff), whatever else it says."""
    _, productcode, tarief = _explanation(reply_text(body))
    return productcode, tarief
