"""The record layer: question/answer cells → the canonical record, a confidence per
field and the `meldingen` that name every doubtful field by its question on the form.

A value is either read with certainty (confidence 1.0: one clear reading) or not: then
it is kept with a `waarschuwing` naming the question, or left empty with one. `validate`
raises a blocking finding only on values read with certainty (`Extraction.confidence`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import UnreadableForm
from pipeline.fields import ADVISERS, OORDELEN, SPELLED
from pipeline.models import Extraction, Melding
from pipeline.readers import answers as nz
from pipeline.readers.cells import Cell, Reading
from pipeline.readers.finish import finish, shown
from pipeline.readers.period import inzet_in
from pipeline.readers.questions import (
    QUESTION_MIN_SCORE,
    QUESTION_NEAR_SCORE,
    QUESTION_SURE_SCORE,
    Labels,
)
from pipeline.readers.rows import READERS
from pipeline.readers.value import Value, doubt
from pipeline.region.profile import Mappings

MIN_QUESTIONS_FOR_A_FORM = 6
SCAN_NOTICE = (
    "Dit formulier is een scan en met tekstherkenning gelezen; controleer de"
    " overgenomen gegevens met het formulier in de bijlage."
)


def join_continued(cells: list[Cell], labels: Labels) -> list[Cell]:
    """A row cut in two (by a page break, or a question wrapped into a second row)
    joined again: the second part has no question, or its question continues one left
    unfinished — it starts in lower case, or the two read better together as the same
    question."""
    out: list[Cell] = []
    for cell in cells:
        before = out[-1] if out and not out[-1].key and not cell.key else None
        if before is not None and _continues(before, cell, labels):
            out[-1] = Cell(
                f"{before.question} {cell.question}".strip(),
                " ".join(x for x in (before.answer, cell.answer) if x),
                confidence=min(before.confidence, cell.confidence),
            )
        else:
            out.append(cell)
    return out


def _continues(before: Cell, cell: Cell, labels: Labels) -> bool:
    if not cell.question.strip():
        return bool(nz.clean(cell.answer))
    if before.question.rstrip().endswith(("?", ":", ".", ")")):
        return False
    if cell.question.lstrip()[:1].islower():
        return True
    kind, together = labels.match(f"{before.question} {cell.question}")
    first, alone = labels.match(before.question)
    second, second_alone = labels.match(cell.question)
    return (
        kind == first
        and together > max(alone, second_alone)
        and (second == first or second_alone < QUESTION_SURE_SCORE)
    )


@dataclass
class Matched:
    """The cells of a reading matched to the form's questions."""

    cells: list[tuple[Cell, str, float]] = field(default_factory=list)  # kind, score
    # the advisers' rows: adviser → part (oordeel, toelichting, …) → answer
    advies: dict[str, dict[str, str | None]] = field(default_factory=dict)
    # questions not recognised whose answer may matter
    answered_elsewhere: list[str] = field(default_factory=list)


@dataclass
class Answers:
    """What the matched answers say, before the record is made."""

    values: dict[str, Value] = field(default_factory=dict)
    meldingen: list[Melding] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # kind → its first answer
    # the two hulpvorm rows (ambulant, verblijf) → their yes and type of care
    hulp: dict[str, dict[str, Value]] = field(default_factory=dict)


def build(reading: Reading, mappings: Mappings) -> Extraction:
    """A layout's cells → `Extraction`. Raises `UnreadableForm` when the cells are not a
    request form."""
    reading.cells = join_continued(reading.cells, mappings.labels)
    matched = match(reading.cells, mappings.labels)
    answers = read_answers(matched.cells, mappings.labels)
    _require_a_form(len({kind for _, kind, _ in matched.cells}), reading.scanned)
    values, seen = answers.values, answers.seen
    _decide_hulpvorm(answers.hulp, values)
    for who, parts in matched.advies.items():
        values[who] = Value(_advice_from_parts(parts))
    # the inzet is often written in the tarief or periode answer
    if values.get("inzet.aantal") is None or values["inzet.aantal"].value is None:
        for kind in ("tarief", "periode"):
            extra = inzet_in(seen.get(kind) or "")
            if extra:
                values.update(extra)
                break
    answers.meldingen.extend(_unplaced(q) for q in matched.answered_elsewhere)
    if reading.scanned:
        _doubt_spelling(values)
    extraction = finish(
        values,
        answers.meldingen,
        mappings,
        reading.layout,
        unsure_absent=bool(matched.answered_elsewhere),
    )
    if reading.scanned:
        extraction.meldingen.insert(
            0, Melding(veld=None, ernst="waarschuwing", tekst=SCAN_NOTICE)
        )
    spoed = seen.get("spoed")
    if spoed and re.search(r"\bcrisis", spoed, re.I):
        extraction.kenmerken.append("crisis")
    return extraction


def match(cells: list[Cell], labels: Labels) -> Matched:
    """Each cell's question → the kind of question of the form it is (a key the layout
    gives, or the best match of its printed question)."""
    out = Matched()
    group: str | None = (
        None  # the person or organisation the questions just before were about
    )
    for cell in cells:
        kind, score = (cell.key, 100.0) if cell.key else labels.match(cell.question)
        part = labels.part_named(cell.question) if score < QUESTION_MIN_SCORE else None
        if (
            part and group and f"{group}.{part}" in READERS
        ):  # 'E-mail' under 'Naam aanvrager'
            kind, score = f"{group}.{part}", QUESTION_SURE_SCORE
        if kind and score >= QUESTION_MIN_SCORE:
            group = labels.person_group(kind)
        if kind and kind.startswith(tuple(f"{who}." for who in ADVISERS)):
            who, _, part = kind.partition(".")
            out.advies.setdefault(who, {})[part] = nz.clean(cell.answer)
            continue
        if (
            kind is None
            or score < QUESTION_MIN_SCORE
            or kind == "ignore"
            or kind not in READERS
        ):
            if (
                nz.text(cell.answer)
                and kind != "ignore"
                and (score >= QUESTION_NEAR_SCORE or "?" in cell.question)
            ):
                out.answered_elsewhere.append(
                    cell.question
                )  # it looks like a question: the answer may matter
            continue
        out.cells.append((cell, kind, score))
    return out


def read_answers(matched: list[tuple[Cell, str, float]], labels: Labels) -> Answers:
    """The matched cells' answers read into values. The best-matching question first:
    its answer wins; another cell only fills what is still empty (a question asking one
    thing beats a composite one of the same score for that thing), and a different
    answer to the same field is told in a `waarschuwing`."""
    out = Answers()
    composite = labels.samengesteld
    for cell, kind, score in sorted(
        matched, key=lambda m: (-m[2], m[1] in composite, not _asks(m[0].question))
    ):
        if not nz.clean(cell.answer):
            continue
        out.seen.setdefault(kind, cell.answer)
        base = (1.0 if score >= QUESTION_SURE_SCORE else score / 100) * cell.confidence
        for name, v in READERS[kind](cell.answer).items():
            v.confidence = min(v.confidence, base)
            if name.startswith("_"):  # the two hulpvorm rows are decided together
                out.hulp.setdefault(name.split(".")[0][1:], {}).setdefault(
                    name.partition(".")[2] or "ja", v
                )
                continue
            before = out.values.get(name)
            if before is None or (
                before.value is None and (v.value is not None or v.twijfel)
            ):
                out.values[name] = v
            elif v.value is not None and v.value != before.value:
                out.meldingen.append(_two_answers(name, before, v, cell, labels))
    return out


def _two_answers(name: str, used: Value, other: Value, cell: Cell, labels: Labels):
    return Melding(
        veld=name,
        ernst="waarschuwing",
        tekst=(
            f"Vraag '{labels.question_of(name)}': het"
            " formulier geeft twee antwoorden;"
            f" '{shown(used.value)}' is gebruikt, ook genoemd is"
            f" '{shown(other.value)}' (bij '{_short(cell.question)}')."
        ),
    )


def _require_a_form(found: int, scanned: bool) -> None:
    """Raises UnreadableForm when fewer than MIN_QUESTIONS_FOR_A_FORM questions of the
    form were found."""
    if found < MIN_QUESTIONS_FOR_A_FORM and scanned:
        raise UnreadableForm(
            "De scan bevat geen leesbare tekst van een aanvraagformulier. Stuur het"
            " formulier als Word-bestand of als betere scan."
        )
    if found < MIN_QUESTIONS_FOR_A_FORM:
        raise UnreadableForm(
            "Het document is geen aanvraagformulier maatwerkovereenkomst: de vragen van"
            " het formulier zijn niet gevonden. Gebruik het aanvraagformulier"
            " (Bijlage 1)."
        )


def _unplaced(question: str) -> Melding:
    return Melding(
        veld=None,
        ernst="waarschuwing",
        tekst=(
            f"Het antwoord bij '{_short(question)}' hoort bij geen vraag van"
            " het formulier en is niet overgenomen; controleer of het ergens"
            " anders thuishoort."
        ),
    )


def _doubt_spelling(values: dict[str, Value]) -> None:
    """A name read by OCR may have lost an accent or a dotless ı: said per name."""
    for name in SPELLED:
        v = values.get(name)
        if v is not None and v.value and not v.twijfel:
            v.twijfel = (
                "met tekstherkenning gelezen; controleer de spelling (ook accenten)"
            )


ASKING = re.compile(
    r"^\W*(\d+[.)]?\s*|vraag\s*\d+\s*[:.]?\s*)?(wie|wat|welke?|waarom|hoe|hoeveel|wanneer|waar|is|zijn|"
    r"heeft|hebben|heb|gaat|kan|moet|geef|motiveer|beschrijf|noem|vermeld|omschrijf|onderbouw)\b",
    re.I,
)


def _asks(question: str) -> bool:
    """Is this text worded as a question ('Waarom …?', 'Motiveer …', '… :'), not a
    title?"""
    q = question.strip()
    return q.endswith(("?", ":")) or bool(ASKING.match(q))


def _short(question: str, n: int = 70) -> str:
    q = re.sub(r"\s+", " ", question).strip()
    return q if len(q) <= n else q[:n].rsplit(" ", 1)[0] + " …"


def _decide_hulpvorm(
    hulp: dict[str, dict[str, Value]], values: dict[str, Value]
) -> None:
    """Exactly one of the rows 'ambulante hulp?' and 'jeugdhulp met verblijf?' says
    yes."""
    yes = [k for k, r in hulp.items() if r.get("ja") and r["ja"].value]
    if len(yes) == 1:
        chosen = hulp[yes[0]]
        conf = min(v.confidence for v in chosen.values())
        unclear = [k for k, r in hulp.items() if r.get("ja") and r["ja"].value is None]
        values["hulpvorm"] = (
            Value(yes[0], conf, None)
            if not unclear
            else doubt(
                yes[0], "de andere hulpvorm is niet duidelijk met nee beantwoord"
            )
        )
        for part in ("type_hulp", "productcode"):
            v = chosen.get(part, Value(None))
            values[part] = Value(v.value, min(v.confidence, conf), v.twijfel)
    elif len(yes) > 1:
        values["hulpvorm"] = doubt(
            None, "zowel ambulante hulp als verblijf is met ja beantwoord", 0.0
        )
    elif any(r.get("ja") and r["ja"].value is None for r in hulp.values()):
        values["hulpvorm"] = doubt(
            None, "niet duidelijk of het om ambulante hulp of verblijf gaat", 0.0
        )


def _advice_from_parts(parts: dict[str, str | None]):
    oordeel = (parts.get("oordeel") or "").lower()
    if oordeel not in OORDELEN:
        return None
    out: dict[str, Any] = {"oordeel": oordeel, "toelichting": parts.get("toelichting")}
    if parts.get("productcode"):
        out["productcode"] = nz.productcode(parts["productcode"])
    if parts.get("tarief"):
        out["tarief"] = {
            "bedrag": nz.amount(parts["tarief"]),
            "eenheid": nz.unit(parts["tarief"]),
        }
    return out
