"""What every layout reader gives: question/answer cells, and how well the layout
fits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One answer on a form, with the question printed beside (or above) it.

    `answer` is the writer's text, paragraphs joined by newlines, with the form's
    printed guidance already dropped (`questions.answer_text`). `key` is set when the
    layout itself names the canonical field (a content control or AcroForm field tagged
    `aanbieder.naam`); then `question` is only that name. `confidence` is how surely the
    text itself was read: 1.0 for a text layer, the OCR confidence (0–1) for a scanned
    cell."""

    question: str
    answer: str
    key: str | None = None
    confidence: float = 1.0


@dataclass
class Reading:
    """A layout reader's result: its cells, its layout name and notes for the record
    layer."""

    layout: str
    cells: list[Cell] = field(default_factory=list)
    scanned: bool = (
        False  # read by OCR: every value is shown to the advisers as 'check this'
    )
