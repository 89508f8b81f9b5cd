"""The verdict grammar: step 3 of the advice stage, reading the verdict words of a
reply's own text with their scope.

A negator or a word of doubt in the same part of a sentence makes a verdict no decision
('niet positief', 'geen positief advies', 'kan niet instemmen'); a condition or reserve
('mits', 'op voorwaarde dat', 'voorlopig') is collected as a condition; a question, or
a positive and a negative verdict, leave no verdict. A verdict in the subject (put
there by an answer button) and a body that disagree leave none either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.models import NEGATIEF, POSITIEF, Oordeel


def _ci(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled to match regardless of case (re.I)."""
    return re.compile(pattern, re.I)


# 'niet akkoord' is the fixed negative answer; 'nog niet akkoord' is not yet a decision
_NEG_FIXED = _ci(
    r"(?<!nog"
    r" )\b(?:niet|geen)\s+"
    r"(?:akkoord|accoord|akoord|mee\s+eens|eens\s+met|goedgekeurd)\b|\bnot\s+approved\b"
    r"|\b(?:do\s+not|don't|cannot|can't)\s+(?:agree|approve)\b|\bnicht\s+(?:einverstanden|genehmigt)\b"
    r"|\bpas\s+d'accord\b",
)
_POS_FIXED = _ci(
    r"\bgeen\s+(?:enkel\s+)?bezwa(?:a)?r(?:en)?\b|\bno\s+objections?\b|\bkeine\s+einw[äa]nde\b",
)
_POS = _ci(
    r"\b(?:positief|positiv|positive|positif|akkoord|accoord|akoord|einverstanden|agreed?|approve|favorable"
    r"|instemm\w*|ingestemd|stem(?:men)?\s+(?:\w+\s+){0,2}in|goedkeuren|keur\w*\s+(?:\w+\s+){0,2}goed"
    r"|(?:mee|het)\s+(?:\w+\s+){0,4}eens(?=\s*(?:met\b|[.,!;]|$))|ga\s+je\s+gang|d'accord|positieve?\s+(?:advies|beoordeling|besluit|oordeel))\b",
)
_NEG = _ci(
    r"\b(?:negatief|negativ|negative|n[ée]gatif|d[ée]favorable|afwijzen|af\s+te\s+wijzen|wijs\w*\s+(?:\w+\s+){0,3}af"
    r"|afkeuren|keur\w*\s+(?:\w+\s+){0,2}af|ablehnen|lehne\w*\s+(?:\w+\s+){0,2}ab|disagreed?|oneens"
    r"|negatieve?\s+(?:advies|beoordeling|besluit|oordeel))\b",
)
# past participles decide only as a short answer ('Goedgekeurd.', 'Rejected, too
# expensive'), not in an explanation ('de eerdere aanvraag is afgewezen')
_POS_SHORT = _ci(r"\b(?:goedgekeurd|approved|genehmigt|zugestimmt|approuv[ée]e?)\b")
_NEG_SHORT = _ci(r"\b(?:afgewezen|afgekeurd|rejected|declined|abgelehnt|refus[ée]e?)\b")
_NEGATOR = _ci(
    r"\b(?:niet|geen|nooit|niets|noch|onvoldoende|moeilijk|not|no|never|cannot|nicht|kein\w*|nie"
    r"|nimmer|jamais)\b|n't\b",
)
_DOUBT = _ci(
    r"\b(?:misschien|wellicht|mogelijk|twijfel\w*|waarschijnlijk|denk|neig\w*|lijkt|eventueel|zou"
    r"|zouden|voordat|perhaps|maybe|probably|might|would|think|vielleicht|wahrscheinlich|w[üu]rde"
    r"|peut-[êe]tre|probablement)\b",
)
# a condition: the text after it is shown to ICM ('mits de inzet naar 2 uur per week
# gaat')
_CONDITION = _ci(
    r"\b(?:mits|tenzij|(?:op|onder|met)\s+(?:\w+\s+){0,2}voorwaarden?(?:\s+dat|\s+van)?|als\s+voorwaarde(?:\s+dat)?"
    r"|onder\s+(?:het\s+)?voorbehoud(?:\s+dat|\s+van)?|(?:alleen|enkel|pas|wel|uitsluitend)\s+(?:als|indien|wanneer)"
    r"|zolang|provided\s+(?:that)?|on\s+condition\s+(?:that)?|subject\s+to|as\s+long\s+as|only\s+if|unless"
    r"|vorausgesetzt(?:,?\s+dass)?|unter\s+(?:der\s+)?(?:bedingung|vorbehalt)(?:,?\s+dass)?|sofern|au[ßs]er\s+wenn"
    r"|sous\s+r[ée]serve(?:\s+que|\s+de)?|[àa]\s+condition\s+(?:que|de)?)\b\s*:?",
)
# 'als'/'indien' is a condition only right after a verdict or opening the part with it
# ('positief als de inzet omlaag gaat', 'Als de inzet omlaag gaat, dan positief')
_IF = _ci(r"\b(?:als|indien|wanneer|if|wenn|falls|si)\b")
_VERDICT_IF = _ci(
    rf"(?:{_POS.pattern}|{_NEG.pattern})\s*,?\s*\b(?:als|indien|wanneer|if|wenn|falls)\s+"
    r"(?P<c>[^.;!?]+)",
)
_THEN = re.compile(r"(?i)\b(?:dan|then|dann|alors)\b")
_PROVISIONAL = _ci(
    r"\b(?:voorlopig|vooralsnog|voorshands|in\s+principe|principieel|provisionally|"
    r"in\s+principle|vorl[äa]ufig|grunds[äa]tzlich|provisoire(?:ment)?)\b"
    r"|\bdefinitieve?\s+(?:advies|besluit|oordeel)\s+(?:volgt|komt)\b|\b(?:advies|besluit|oordeel)\s+volgt\b"
    r"|\bnog\s+niet\s+definitief\b",
)
# a reserve after a verdict: 'Akkoord, maar niet voor 10 uur per week', 'behalve het
# tarief'
_RESERVE = _ci(
    r"^(?:maar|but|aber|mais)\s+(?:niet|geen|not|no|nicht|kein\w*|pas)\b|^(?:behalve|uitgezonderd|"
    r"except|au[ßs]er|sauf)\b",
)
# parts of a sentence: a negator or doubt does not reach across these
_SEGMENT = _ci(
    r"[;:]|\s[-–—]\s|\b(?=(?:maar|want|omdat|dus|echter|doch|aangezien|hoewel|terwijl|zodat|but|because"
    r"|since|however|aber|weil|denn|jedoch|mais|car)\b)",
)
_SUBJECT_ANSWER = _ci(
    r"\b(?:advies|besluit)\s*:\s*(positief|negatief|niet\s+akkoord|akkoord)\b"
)
# a verdict word, whether it is a fixed answer ('niet akkoord') or a word in a sentence
# (None: a past participle, a verdict only in a short answer)
_VERDICT_WORDS: tuple[tuple[re.Pattern[str], Oordeel, bool | None], ...] = (
    (_NEG_FIXED, NEGATIEF, True),
    (_POS_FIXED, POSITIEF, True),
    (_NEG, NEGATIEF, False),
    (_POS, POSITIEF, False),
    (_NEG_SHORT, NEGATIEF, None),
    (_POS_SHORT, POSITIEF, None),
)


@dataclass
class Reading:
    """What the sentences of a reply say about its verdict."""

    asserted: set[Oordeel] = field(default_factory=set)  # verdicts said outright
    denied: set[Oordeel] = field(default_factory=set)  # negated ('niet positief')
    doubt: bool = False  # a question, or a word of doubt in a verdict's scope
    conditions: list[str] = field(default_factory=list)

    def verdict(self) -> Oordeel | None:
        """The one verdict said, or None when none, both, or one and its denial."""
        if self.doubt or len(self.asserted) != 1:
            return None
        oordeel = next(iter(self.asserted))
        return None if oordeel in self.denied else oordeel

    def empty(self) -> bool:
        """Whether the text says nothing about a verdict at all."""
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


def verdicts(part: str) -> tuple[list[tuple[Oordeel, bool]], str]:
    """The verdicts in one comma-part (fixed answers first), each with whether it is a
    fixed answer, and the part without them."""
    part = re.sub(
        r"\b(?:niet|non|on)-\w+", lambda m: " " * len(m.group()), part, flags=re.I
    )  # 'niet-gecontracteerd'
    found: list[tuple[Oordeel, bool]] = []
    short = len(part.split()) <= 3
    for rx, oordeel, fixed in _VERDICT_WORDS:
        part, n = _mask(part, rx)
        if n and (fixed is not None or short):
            found += [(oordeel, bool(fixed))] * n
    return found, part


def _read_segment(segment: str, question: bool, reading: Reading) -> None:
    """One part of a sentence: a negator or doubt reaches the comma-parts after it."""
    parts = [p.strip() for p in segment.split(",")]
    earlier_neg = earlier_doubt = False
    for k, part in enumerate(parts):
        if _RESERVE.match(part) and reading.asserted:
            reading.conditions.append(", ".join(parts[k:]))
        found, rest = verdicts(part)
        negated = earlier_neg or bool(_NEGATOR.search(rest))
        doubtful = earlier_doubt or question or bool(_DOUBT.search(rest))
        for oordeel, fixed in found:
            if doubtful:
                reading.doubt = True
            elif negated:
                if fixed:  # 'niet akkoord' with another negator: no longer clear
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
        earlier_neg = earlier_neg or (bool(_NEGATOR.search(rest)) and not short_none)
        earlier_doubt = earlier_doubt or bool(_DOUBT.search(rest))


def _read_conditions(sentence: str, reading: Reading) -> None:
    """The conditions and reserves a sentence sets on its verdict."""
    if _PROVISIONAL.search(sentence):
        reading.conditions.append(sentence.rstrip(".!"))
    for m in _CONDITION.finditer(sentence):
        reading.conditions.append(
            sentence[m.end() :].strip(" ,.;!") or sentence.rstrip(".!")
        )
    if not verdicts(sentence)[0]:
        return
    after = _VERDICT_IF.search(sentence)
    if after:
        reading.conditions.append(after.group("c").strip(" ,"))
    opening = _IF.match(sentence)
    if opening and _THEN.search(sentence):
        reading.conditions.append(
            re.split(
                r"(?i),?\s*\b(?:dan|then|dann|alors)\b", sentence[opening.end() :]
            )[0].strip()
        )


def read(text: str) -> Reading:
    """The reading of a reply's own text, sentence by sentence."""
    reading = Reading()
    for sentence in _sentences(text):
        question = sentence.rstrip().endswith("?")
        for segment in _SEGMENT.split(sentence):
            _read_segment(segment.strip(), question, reading)
        _read_conditions(sentence, reading)
    return reading


def subject_verdict(subject: str) -> Oordeel | None:
    """The verdict an answer button put in the subject ('Advies: positief'), if any."""
    m = _SUBJECT_ANSWER.search(subject or "")
    return (
        None
        if m is None
        else (POSITIEF if m.group(1).lower() in ("positief", "akkoord") else NEGATIEF)
    )


def verdict_of(text: str, subject: str) -> tuple[Oordeel | None, list[str]]:
    """The verdict of a reply and its conditions; the verdict is None when the reply
    does not say one thing."""
    reading = read(text)
    by_subject = subject_verdict(subject)
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
