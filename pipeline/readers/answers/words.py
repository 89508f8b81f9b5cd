"""Words of an answer: cleaning, empty and unknown answers, yes or no, ticked boxes,
place names."""

from __future__ import annotations

import re

from pipeline.text import printable

EMPTY_ANSWERS = {
    "",
    "-",
    "--",
    "nvt",
    "n.v.t",
    "n.v.t.",
    "niet van toepassing",
    "nee n.v.t.",
    "geen",
    "x",
    "nb",
    "n.b.",
}

_YES = re.compile(
    r"^\W*(ja|yes|jazeker|zeker|jawel|klopt|akkoord|is gebeurd|gedaan)\b", re.I
)
_NO = re.compile(r"^\W*(nee|neen|no|niet|geen|nog niet)\b", re.I)
_NVT = re.compile(r"^\W*(n\.?\s?v\.?\s?t\.?|niet van toepassing)(\W|$)", re.I)
# a ticked and an empty checkbox as Word forms write them, before or after the word:
# '☒ Ja ☐ Nee', '[x] ja [ ] nee', 'Ja [ ] / Nee [x]', 'Ja ☐ / Nee ☑'
_BOX_ON = r"(?:[☒☑✓✔■⊠]|\[\s*[xX✓✔]\s*\]|\(\s*[xX]\s*\))"
_BOX_OFF = r"(?:[☐□]|\[\s*\]|\(\s*\))"
_NEGATION = re.compile(r"\b(niet|geen|nog niet|nee)\b", re.I)
# what an answer may say instead of a bare yes: 'gecheckt', 'verkend', 'is besproken'
_AFFIRMED = re.compile(
    r"^\W*(is\s+)?(gecheckt|gecontroleerd|verkend|besproken|nagegaan|uitgezocht|bekeken|overwogen)\b",
    re.I,
)
_DENIED = re.compile(
    r"^\W*(is\s+)?(nog\s+)?niet\s+(gecheckt|gecontroleerd|verkend|besproken|nagegaan|uitgezocht|"
    r"bekeken|overwogen)\b",
    re.I,
)


def clean(text: str | None) -> str | None:
    """Collapse whitespace, remove control characters; an empty or 'n.v.t.' answer is
    None."""
    if text is None:
        return None
    lines = [
        re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in printable(text).split("\n")
    ]
    out = "\n".join(ln for ln in lines if ln)
    if is_empty(out):
        return None
    return out


_UNKNOWN = re.compile(
    r"^\W*(nog\s+)?(niet\s+bekend|onbekend|weet\s+(ik\s+)?niet|volgt(\s+nog)?|n\.?\s?t\.?\s?b\.?|"
    r"nader\s+te\s+bepalen|nog\s+niet\s+(bepaald|duidelijk)|\?+)\W*$",
    re.I,
)


def is_unknown(text: str | None) -> bool:
    """'nog niet bekend', 'weet ik niet', 'volgt', 'n.t.b.', '?': the writer says there
    is no answer yet."""
    return bool(text and _UNKNOWN.match(text.strip()))


def text(value: str | None) -> str | None:
    """A free-text answer; a bare 'nee' / 'geen' means there is none."""
    t = clean(value)
    if t and re.fullmatch(r"\W*(nee|neen|geen|nvt)\W*", t, re.I):
        return None
    return t


def is_empty(text: str | None) -> bool:
    if text is None:
        return True
    t = text.strip().lower().rstrip(".!")
    return (
        t in EMPTY_ANSWERS
        or t.rstrip(".") in EMPTY_ANSWERS
        or bool(_NVT.match(t) and len(t) <= 25)
    )


def yes_no(text: str | None) -> bool | None:
    """'Ja', 'ja!', 'JA (crisis)', 'Ja, gecheckt met …', '☒ Ja ☐ Nee' → True; 'nee
    hoor', 'Nog niet gecheckt', 'niet verkend' → False; anything else None."""
    return yes_no_read(text)[0]


def ticked(text: str | None, options: tuple[str, ...]) -> tuple[str | None, str]:
    """The one option ticked in a row of checkboxes ('☐ vrijwillig ☒ gedwongen', 'Ja [ ]
    / Nee [x]'), and the text beside the boxes; (None, text) when there are no boxes or
    not exactly one is ticked.
    """
    box = re.search(_BOX_ON + "|" + _BOX_OFF, text) if text else None
    if not text or not box:
        return None, text or ""
    words = "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True))
    first_box = box.start()
    first_word = re.search(rf"\b({words})\b", text, re.I)
    if first_word is None:
        return None, text
    if (
        first_box < first_word.start()
    ):  # the boxes stand before their words: '☐ vrijwillig ☒ gedwongen'
        on, off = (
            re.compile(rf"{box}\s*({words})\b", re.I) for box in (_BOX_ON, _BOX_OFF)
        )
    else:  # after them: 'Ja [ ] / Nee [x]'
        on, off = (
            re.compile(rf"\b({words})\s*{box}", re.I) for box in (_BOX_ON, _BOX_OFF)
        )
    chosen = {m.group(1).lower() for m in on.finditer(text)}
    if len(chosen) != 1:
        return None, text
    rest = off.sub(" ", on.sub(" ", text))
    return chosen.pop(), re.sub(r"\s+", " ", rest).strip(" .,;:/-–\n")


def yes_no_read(text: str | None) -> tuple[bool | None, str]:
    """(yes/no, the rest of the answer after it). A bare echo of the question
    ('gecheckt', 'verkend') counts as yes, its negation ('nog niet gecheckt') as no."""
    if not text or _NVT.match(text):
        return None, text or ""
    box, rest = ticked(text, ("ja", "nee"))
    if box is not None:
        return box == "ja", rest
    m = _DENIED.match(text)
    if m:
        return False, text[m.end() :].lstrip(" .,;:-–\n")
    for rx, value in ((_YES, True), (_NO, False)):
        m = rx.match(text)
        if m:
            rest = text[m.end() :].lstrip(" .,;:-–—!\n")
            rest = _DENIED.sub("", rest, count=1) if not value else rest
            return value, _AFFIRMED.sub("", rest, count=1).lstrip(" .,;:-–—\n")
    m = _AFFIRMED.match(text)
    if m:
        return True, text[m.end() :].lstrip(" .,;:-–\n")
    return None, text


_PLACE_LOWER = {
    "aan",
    "den",
    "bij",
    "op",
    "en",
    "in",
    "het",
    "der",
    "de",
    "van",
    "ter",
    "te",
}


def place_name(text: str) -> str:
    """A place as written, in its usual capitals: 'gem. DE BILT' → 'De Bilt', 'wijk bij
    duurstede' → 'Wijk bij Duurstede'."""
    t = re.sub(
        r"^\W*(gemeente|gem\.?)\s+",
        "",
        re.sub(r"\(.*?\)", "", text).strip(),
        flags=re.I,
    )
    words = re.sub(r"\s+", " ", t).strip(" .,;:").split(" ")
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if i and low in _PLACE_LOWER:
            out.append(low)
        elif low.startswith("ij"):
            out.append("IJ" + low[2:])
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in low.split("-")))
    return " ".join(out)
