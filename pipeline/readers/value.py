"""A value read from an answer: how surely, and when not sure, why (in Dutch); the
readers of one-field answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.readers import answers as nz

CERTAIN = 0.85  # a value read with at least this confidence is certain enough to act on
GUESSED = 0.6  # a value taken from an answer that could be read in more than one way


@dataclass
class Value:
    """A value read from an answer, how surely, and (when not sure) why, in Dutch."""

    value: Any
    confidence: float = 1.0
    twijfel: str | None = None


Read = dict[str, Value]


def sure(field: str, value: Any) -> Read:
    return {field: Value(value)}


def doubt(value: Any, why: str, confidence: float = GUESSED) -> Value:
    return Value(value, confidence, why)


def read_with(field: str, parse: Callable[[str], Any]) -> Callable[[str], Read]:
    """A one-field answer: a parser that returns None for a non-empty answer means 'not
    readable'."""

    def read(text: str) -> Read:
        value = parse(text)
        if value is None and nz.text(text) is not None and not nz.is_unknown(text):
            return {
                field: doubt(
                    None, "het antwoord kon niet eenduidig worden gelezen", 0.0
                )
            }
        return sure(field, value)

    return read


def yes_no_field(field: str) -> Callable[[str], Read]:
    def read(text: str) -> Read:
        value, _ = nz.yes_no_read(text)
        if value is None and nz.clean(text) and not nz.is_unknown(text):
            return {field: doubt(None, "het antwoord is geen duidelijk ja of nee", 0.0)}
        return sure(field, value)

    return read
