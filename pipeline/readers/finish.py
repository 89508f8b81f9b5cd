"""From the values read to the record: the region's gemeente, what the kader rules out,
a `waarschuwing` for every doubtful value, the nested `Aanvraag`."""

from __future__ import annotations

from typing import Any

from pipeline.models import Aanvraag, Extraction, Melding
from pipeline.readers import answers as nz
from pipeline.readers.questions import Labels
from pipeline.readers.value import (
    CERTAIN,
    Value,
)
from pipeline.region.profile import Mappings


def finish(
    values: dict[str, Value],
    meldingen: list[Melding],
    mappings: Mappings,
    layout: str,
    unsure_absent: bool = False,
) -> Extraction:
    """The values read → `Extraction`: the record, the confidence of every field not
    read with certainty and a `waarschuwing` for each doubtful one. `unsure_absent`: a
    question was not recognised, so nothing missing is certain."""
    _settle(values, mappings)
    confidence = _doubts(values, meldingen, mappings.labels)
    if unsure_absent:
        _maybe_elsewhere(values, confidence, meldingen, mappings.labels)
    nested: dict[str, Any] = {}
    for name, v in values.items():
        head, dot, tail = name.partition(".")
        if dot:
            nested.setdefault(head, {})[tail] = v.value
        else:
            nested[name] = v.value
    record = Aanvraag.model_validate(nested)
    return Extraction(
        record=record, meldingen=meldingen, layout=layout, confidence=confidence
    )


def _settle(values: dict[str, Value], mappings: Mappings) -> None:
    """The gemeente by its canonical name; what the answers rule out emptied."""
    # gemeente: canonical name, typo-tolerant
    g = values.get("gemeente")
    if g is not None and g.value:
        naam, score = mappings.region.match_gemeente(g.value)
        if naam and score >= 80:
            values["gemeente"] = Value(
                naam,
                min(g.confidence, 1.0 if score >= 95 else score / 100),
                None if score >= 95 else f"gelezen als {naam}",
            )
        else:  # not one of the region's: kept as written (validate says it is not ours)
            values["gemeente"] = Value(nz.place_name(g.value), g.confidence, g.twijfel)
    # in gedwongen kader no PGB; in vrijwillig kader no maatregel
    kader = values.get("kader", Value(None)).value
    if kader == "gedwongen":
        values["pgb_verkend"] = values["pgb_argumenten"] = Value(None)
    elif kader == "vrijwillig":
        values["maatregel"] = Value(None)
    if (
        values.get("hulpvorm", Value(None)).value == "ambulant"
    ):  # a form of verblijf only with verblijf
        values["verblijfsvorm"] = Value(None)


def _doubts(
    values: dict[str, Value], meldingen: list[Melding], labels: Labels
) -> dict[str, float]:
    """The confidence of every value not read with certainty; a `waarschuwing` naming
    the question for each one below CERTAIN or with a doubt."""
    confidence: dict[str, float] = {}
    for name, v in sorted(values.items()):
        if v.confidence >= 1.0 and not v.twijfel:
            continue
        confidence[name] = v.confidence
        if v.confidence >= CERTAIN and not v.twijfel:
            continue
        vraag = labels.question_of(name)
        if v.value is None:
            tekst = (
                f"Vraag '{vraag}':"
                f" {v.twijfel or 'het antwoord kon niet worden gelezen'}; vul dit aan"
                " of controleer het."
            )
        else:
            tekst = (
                f"Vraag '{vraag}': {v.twijfel or 'met lage zekerheid gelezen'};"
                f" controleer '{shown(v.value)}'."
            )
        meldingen.append(Melding(veld=name, ernst="waarschuwing", tekst=tekst))
    return confidence


def _maybe_elsewhere(
    values: dict[str, Value],
    confidence: dict[str, float],
    meldingen: list[Melding],
    labels: Labels,
) -> None:
    """A question not recognised may hold what looks missing: every field without an
    answer (that the form asks, given the kader and hulpvorm) is uncertain."""
    kader = values.get("kader", Value(None)).value
    hulpvorm = values.get("hulpvorm", Value(None)).value
    not_asked = {
        "gedwongen": ("pgb_verkend", "pgb_argumenten"),
        "vrijwillig": ("maatregel",),
    }.get(kader, ())
    not_asked += ("verblijfsvorm",) if hulpvorm == "ambulant" else ()
    for name in labels.velden:
        if (
            (name not in values or values[name].value is None)
            and name not in confidence
            and name not in not_asked
        ):
            confidence[name] = 0.0
            meldingen.append(
                Melding(
                    veld=name,
                    ernst="waarschuwing",
                    tekst=(
                        f"Vraag '{labels.question_of(name)}': geen antwoord"
                        " gevonden; mogelijk staat het bij een vraag die niet is"
                        " herkend. Controleer het formulier."
                    ),
                )
            )


def shown(value: Any) -> str:
    """A value as a warning quotes it (a date as dd-mm-yyyy)."""
    if hasattr(value, "strftime"):
        return value.strftime("%d-%m-%Y")
    return str(value)
