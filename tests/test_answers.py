"""Dutch answers as people write them → typed values; nothing guessed."""
from datetime import date
from decimal import Decimal

import pytest

from pipeline.readers import answers as nz


@pytest.mark.parametrize("text,value", [
    ("Ja", True), ("ja!", True), ("JA (crisis)", True), ("Ja, gecheckt met gedragswetenschapper", True),
    ("nee hoor", False), ("Nee.", False), ("n.v.t.", None), ("misschien", None), ("", None),
])
def test_yes_no(text, value):
    assert nz.yes_no(text) is value


@pytest.mark.parametrize("text,value", [
    ("1-2-2027", [date(2027, 2, 1)]), ("01/02/27", [date(2027, 2, 1)]), ("1 februari 2027", [date(2027, 2, 1)]),
    ("van 1 jan 2027 t/m 30 juni 2027", [date(2027, 1, 1), date(2027, 6, 30)]),
    ("1/4/2027 - 30/9/2027", [date(2027, 4, 1), date(2027, 9, 30)]),
    ("2027-03-01", [date(2027, 3, 1)]), ("31-2-2027", []),
])
def test_dates(text, value):
    assert nz.dates(text) == value


@pytest.mark.parametrize("text,value", [
    ("€ 1.250,00", "1250.00"), ("92.4 p/u", "92.40"), ("EUR 92,40 per uur", "92.40"), ("euro 375,77 per etm.", "375.77"),
    ("€ 84,00 per uur", "84.00"), ("1.250", "1250.00"),
])
def test_amounts(text, value):
    assert nz.amount(text) == Decimal(value)


@pytest.mark.parametrize("text,value", [
    ("per uur", "uur"), ("92.4 p/u", "uur"), ("per dagdeel", "dagdeel"), ("per etm.", "etmaal"), ("2 etmalen", "etmaal"),
])
def test_units(text, value):
    assert nz.unit(text) == value


@pytest.mark.parametrize("text,value", [
    ("+31 6 1234 5678", "0612345678"), ("030 - 123 45 67", "0301234567"), ("tel. 0343 266910", "0343266910"),
    ("06-39460624", "0639460624"), ("12345", None),
])
def test_phone(text, value):
    assert nz.phone(text) == value


def test_inzet_and_codes():
    assert nz.inzet("3 dagdelen elke week") == (Decimal(3), "dagdeel", "week")
    assert nz.inzet("40 uur in totaal") == (Decimal(40), "uur", "totaal")
    assert nz.productcode("Ja, specialistische begeleiding, code 45a53") == "45A53"
    assert nz.iban_text("IBAN NL51 SNSB 4236 6348 72") == "NL51SNSB4236634872"
    assert nz.iban_valid("NL51SNSB4236634872") and not nz.iban_valid("NL52SNSB4236634872")
