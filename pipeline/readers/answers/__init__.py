"""The answer grammar: what people write in an answer → typed values and pieces.

Two levels. Value readers (`yes_no`, `dates`, `amount`, `inzet`, `phone`, `kvk`, …) take
the text of one answer and return the value or None; none of them guesses beyond what
the text says. `take_apart` splits a composite answer ("Praktijk X B.V. (contact: Jan de
Vries, 06-12345678)", "Naam: …, tel: … / mail: …", "KvK 1234 5678 / AGB 98-123456 / IBAN
…") into typed `Piece`s — phone numbers, e-mail addresses, IBAN, KvK, AGB, labels,
annotations in brackets, person names and organisation names — whatever their order and
separators. Callers turn a None for a non-empty answer into a `waarschuwing`.

One module per kind of value: `words` (yes/no, ticked boxes, empty answers), `numbers`,
`dates`, `ids` (phone, e-mail, KvK, AGB, IBAN) and `pieces` (`take_apart`).
"""

from __future__ import annotations

from pipeline.readers.answers.dates import MONTHS, dates, one_date
from pipeline.readers.answers.ids import (
    agb,
    eight_digits,
    email,
    iban_text,
    iban_valid,
    kvk,
    phone,
)
from pipeline.readers.answers.numbers import (
    PRODUCTCODE,
    amount,
    digits,
    integer,
    inzet,
    productcode,
    unit,
)
from pipeline.readers.answers.pieces import (
    Piece,
    is_organisation,
    is_person,
    take_apart,
)
from pipeline.readers.answers.words import (
    clean,
    is_empty,
    is_unknown,
    place_name,
    text,
    ticked,
    yes_no,
    yes_no_read,
)

__all__ = [
    "MONTHS",
    "PRODUCTCODE",
    "Piece",
    "agb",
    "amount",
    "clean",
    "dates",
    "digits",
    "eight_digits",
    "email",
    "iban_text",
    "iban_valid",
    "integer",
    "inzet",
    "is_empty",
    "is_organisation",
    "is_person",
    "is_unknown",
    "kvk",
    "one_date",
    "phone",
    "place_name",
    "productcode",
    "take_apart",
    "text",
    "ticked",
    "unit",
    "yes_no",
    "yes_no_read",
]
