"""Dutch answers as people write them → typed values; nothing guessed."""

from datetime import date
from decimal import Decimal

import pytest

from pipeline.readers import answers as nz


@pytest.mark.parametrize(
    "text,value",
    [
        ("Ja", True),
        ("ja!", True),
        ("JA (crisis)", True),
        ("Ja, gecheckt met gedragswetenschapper", True),
        ("nee hoor", False),
        ("Nee.", False),
        ("n.v.t.", None),
        ("misschien", None),
        ("", None),
    ],
)
def test_yes_no(text, value):
    assert nz.yes_no(text) is value


@pytest.mark.parametrize(
    "text,value",
    [
        ("1-2-2027", [date(2027, 2, 1)]),
        ("01/02/27", [date(2027, 2, 1)]),
        ("1 februari 2027", [date(2027, 2, 1)]),
        ("van 1 jan 2027 t/m 30 juni 2027", [date(2027, 1, 1), date(2027, 6, 30)]),
        ("1/4/2027 - 30/9/2027", [date(2027, 4, 1), date(2027, 9, 30)]),
        ("2027-03-01", [date(2027, 3, 1)]),
        ("31-2-2027", []),
    ],
)
def test_dates(text, value):
    assert nz.dates(text) == value


@pytest.mark.parametrize(
    "text,value",
    [
        ("€ 1.250,00", "1250.00"),
        ("92.4 p/u", "92.40"),
        ("EUR 92,40 per uur", "92.40"),
        ("euro 375,77 per etm.", "375.77"),
        ("€ 84,00 per uur", "84.00"),
        ("1.250", "1250.00"),
    ],
)
def test_amounts(text, value):
    assert nz.amount(text) == Decimal(value)


@pytest.mark.parametrize(
    "text,value",
    [
        ("per uur", "uur"),
        ("92.4 p/u", "uur"),
        ("per dagdeel", "dagdeel"),
        ("per etm.", "etmaal"),
        ("2 etmalen", "etmaal"),
    ],
)
def test_units(text, value):
    assert nz.unit(text) == value


@pytest.mark.parametrize(
    "text,value",
    [
        ("+31 6 1234 5678", "0612345678"),
        ("030 - 123 45 67", "0301234567"),
        ("tel. 0343 266910", "0343266910"),
        ("06-39460624", "0639460624"),
        ("12345", None),
    ],
)
def test_phone(text, value):
    assert nz.phone(text) == value


def test_inzet_and_codes():
    assert nz.inzet("3 dagdelen elke week") == (Decimal(3), "dagdeel", "week")
    assert nz.inzet("40 uur in totaal") == (Decimal(40), "uur", "totaal")
    assert nz.productcode("Ja, specialistische begeleiding, code 45a53") == "45A53"
    assert nz.iban_text("IBAN NL51 SNSB 4236 6348 72") == "NL51SNSB4236634872"
    assert nz.iban_valid("NL51SNSB4236634872") and not nz.iban_valid(
        "NL52SNSB4236634872"
    )


# --- the answer grammar, property-based: typed values written in many shapes come back
# -----------

from datetime import timedelta  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schwifty import IBAN  # noqa: E402

from pipeline.readers import people  # noqa: E402

FIRST = [
    "Jan",
    "Özlem",
    "Gert-Jan",
    "Anneloes",
    "Mohamed",
    "Renée",
    "Sanne",
    "Yusuf",
    "Fleur",
    "Hélène",
]
TUSSEN = ["", "de", "van", "van der", "van den", "El", "ter"]
LAST = [
    "Vries",
    "Berg",
    "Yılmaz",
    "Bakker",
    "Hoekstra",
    "Amrani",
    "Dijk",
    "Jansen-Smit",
    "Wit",
]
ORGS = [
    "Praktijk De Kromme Rijn",
    "Stichting Het Vlonder",
    "Jeugdzorg Zonnehoek B.V.",
    "Zorgboerderij De Hoeve",
    "Traumapraktijk Heuvelrug B.V.",
    "Orthopedagogenpraktijk Klein",
    "Gezinshuis De Linde",
]
MONTH_NAMES = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
MONTH_SHORT = [
    "jan",
    "feb",
    "mrt",
    "apr",
    "mei",
    "jun",
    "jul",
    "aug",
    "sep",
    "okt",
    "nov",
    "dec",
]
WORDS = {
    1: "een",
    2: "twee",
    3: "drie",
    4: "vier",
    5: "vijf",
    6: "zes",
    8: "acht",
    10: "tien",
    12: "twaalf",
    15: "vijftien",
    16: "zestien",
    17: "zeventien",
}

names = st.builds(
    lambda f, t, a: " ".join(x for x in (f, t, a) if x),
    st.sampled_from(FIRST),
    st.sampled_from(TUSSEN),
    st.sampled_from(LAST),
)
mobile = st.integers(10_000_000, 99_999_999).map(lambda n: f"06{n}")
landline = st.tuples(
    st.sampled_from(["030", "0343", "020", "0318"]), st.integers(0, 10**7 - 1)
).map(lambda t: (t[0] + f"{t[1]:07d}")[:10])
phones = st.one_of(mobile, landline)
dates_ = st.dates(min_value=date(2025, 1, 1), max_value=date(2031, 12, 31))


def written_phone(digits: str, shape: int) -> str:
    area = 2 if digits.startswith("06") else (3 if digits[:3] in ("030", "020") else 4)
    head, tail = digits[:area], digits[area:]
    return [
        digits,
        f"{head}-{tail}",
        f"{head} - {tail[:3]} {tail[3:]}",
        f"+31 {digits[1:area]} {tail}",
        f"0031 {digits[1:area]} {tail}",
        f"({head}) {tail}",
        f"+31 (0){digits[1:]}",
    ][shape]


def written_date(d: date, shape: int) -> str:
    return [
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
        f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}",
        f"{d.day} {MONTH_SHORT[d.month - 1]}. {d.year}",
        d.isoformat(),
        f"{d.day:02d}.{d.month:02d}.{d.year}",
    ][shape]


@given(
    phones,
    st.integers(0, 6),
    st.sampled_from(["{}", "tel. {}", "Tel: {}", "({})", "bereikbaar op {}"]),
)
def test_phone_numbers_come_back_however_written(digits, shape, around):
    assert nz.phone(around.format(written_phone(digits, shape))) == digits


@given(dates_, st.integers(0, 5))
def test_dates_come_back_however_written(d, shape):
    assert nz.dates(written_date(d, shape)) == [d]


@given(
    dates_,
    st.integers(1, 400),
    st.integers(0, 5),
    st.sampled_from(
        ["van {} t/m {}", "{} - {}", "{} tot en met {}", "vanaf {} tot {}", "{} tm {}"]
    ),
)
def test_periods_come_back_as_start_and_end(start, days, shape, form):
    end = start + timedelta(days=days)
    assert nz.dates(
        form.format(written_date(start, shape), written_date(end, shape))
    ) == [start, end]


@given(
    st.integers(1000, 250_000).map(lambda c: Decimal(c) / 100),
    st.sampled_from(
        ["€ {}", "€{}", "EUR {}", "{} euro", "euro {} per uur", "€ {} p/u excl. btw"]
    ),
)
def test_amounts_come_back(value, form):
    whole, cents = f"{value:.2f}".split(".")
    dutch = (
        (f"{int(whole):,}".replace(",", ".") if int(whole) >= 1000 else whole)
        + ","
        + cents
    )
    assert nz.amount(form.format(dutch)) == value


@given(
    st.sampled_from(sorted(WORDS)),
    st.sampled_from(
        [
            ("uur", ["uur", "u", "uren"]),
            ("dagdeel", ["dagdelen"]),
            ("etmaal", ["etmalen"]),
        ]
    ),
    st.sampled_from(
        [
            ("week", ["per week", "p/w", "/wk", "elke week", "wekelijks"]),
            ("maand", ["per maand", "p/m", "per mnd", "per kalendermaand"]),
            ("totaal", ["in totaal", "totaal"]),
        ]
    ),
    st.booleans(),
    st.data(),
)
def test_an_amount_of_care_comes_back(n, unit, per, in_words, data):
    number = WORDS[n] if in_words and n > 1 else str(n)
    written_unit = data.draw(st.sampled_from(unit[1]))
    written_per = data.draw(st.sampled_from(per[1]))
    text = (
        f"{written_per} {number} {written_unit}"
        if written_per == "totaal"
        else f"{number} {written_unit} {written_per}"
    )
    if written_unit == "u" and written_per.startswith("/"):
        text = f"{number} u{written_per}"
    assert nz.inzet(text) == (Decimal(n), unit[0], per[0])


@given(
    st.sampled_from(sorted(WORDS)),
    st.sampled_from(["{}", "{} jaar", "{}jr", "{} (jaar)", "{} jaar oud"]),
)
def test_ages_in_digits_or_words(n, form):
    assert nz.integer(form.format(n)) == n
    if " " in form or form == "{}":
        assert nz.integer(form.format(WORDS[n])) == n


@given(
    st.integers(10_000_000, 99_999_999).map(str),
    st.integers(10_000_000, 99_999_999).map(str),
    st.integers(10**9, 10**10 - 1),
    st.permutations(["kvk", "agb", "iban"]),
    st.sampled_from([" / ", "; ", "\n", ", "]),
    st.integers(0, 3),
)
def test_kvk_agb_and_iban_come_back_in_any_order_and_grouping(
    kvk, agb, account, order, sep, grouping
):
    iban = str(IBAN.generate("NL", bank_code="ABNA", account_code=f"{account:010d}"))
    agb_written = [
        agb,
        f"{agb[:2]}-{agb[2:]}",
        f"{agb[:2]}.{agb[2:4]}.{agb[4:6]}.{agb[6:]}",
        f"{agb[:4]} {agb[4:]}",
    ][grouping]
    iban_written = (
        " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        if grouping % 2
        else iban
    )
    parts = {
        "kvk": f"KvK-nummer {kvk}",
        "agb": f"AGB-code: {agb_written}",
        "iban": f"IBAN {iban_written}",
    }
    read = people.read_ids(sep.join(parts[k] for k in order))
    assert (
        read["aanbieder.kvk"].value,
        read["aanbieder.agb_code"].value,
        read["aanbieder.iban"].value,
    ) == (kvk, agb, iban)


@settings(max_examples=200)
@given(
    names,
    phones,
    st.integers(0, 6),
    st.permutations(["naam", "tel", "mail"]),
    st.sampled_from([", ", " / ", " | ", "\n", "; "]),
    st.sampled_from(["", "Naam: ", "Mij: ", "Contact: "]),
    st.sampled_from(["", " (jeugdconsulent)", " (bereikbaar ma-do)"]),
)
def test_a_contact_row_gives_name_phone_and_mail_whatever_the_order(
    name, digits, shape, order, sep, label, aside
):
    mail = name.split()[0].lower().replace("ö", "o").replace("é", "e") + "@zeist.nl"
    parts = {
        "naam": f"{label}{name}{aside}",
        "tel": f"tel. {written_phone(digits, shape)}",
        "mail": mail,
    }
    read = people.read_contact(sep.join(parts[k] for k in order))
    assert read["contactpersoon.naam"].value == name
    assert (
        read["contactpersoon.telefoon"].value == digits
        and read["contactpersoon.email"].value == mail
    )


@settings(max_examples=200)
@given(
    st.sampled_from(ORGS),
    names,
    phones,
    st.integers(0, 6),
    st.sampled_from(
        [
            "{org}, contactpersoon {name} ({tel})",
            "{org} (contact: {name}, {tel})",
            "{org} - {name} ({tel})",
            "{org}: {name}, {tel}",
            "{org}\n{name}\n{tel}",
            (
                "Aanbieder {org}, contactpersoon is {name} (gedragswetenschapper), tel."
                " {tel}"
            ),
            "{org} – t.a.v. {name} – {tel}",
        ]
    ),
)
def test_a_provider_row_gives_the_provider_apart_from_its_contact(
    org, name, digits, shape, form
):
    read = people.read_aanbieder(
        form.format(org=org, name=name, tel=written_phone(digits, shape))
    )
    assert (
        read["aanbieder.naam"].value == org and read["aanbieder.naam"].confidence == 1.0
    )
    assert (
        read["aanbieder.contactpersoon"].value == name
        and read["aanbieder.telefoon"].value == digits
    )


@pytest.mark.parametrize(
    "text,value,rest",
    [
        ("Nog niet gecheckt", False, ""),
        ("niet verkend", False, ""),
        ("Ja, verkend. Ouders willen dit niet.", True, "Ouders willen dit niet."),
        ("☒ Ja ☐ Nee", True, ""),
        ("[ ] ja [x] nee", False, ""),
        ("gecheckt met de gedragswetenschapper", True, "met de gedragswetenschapper"),
    ],
)
def test_yes_or_no_with_what_follows(text, value, rest):
    assert nz.yes_no_read(text) == (value, rest)
