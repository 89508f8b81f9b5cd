"""Advice read the way advisers answer, from the reply's own text only; nothing guessed."""

import html
import json
import re
import tomllib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest

from pipeline.mail import IncomingMail, MailComposer, mailto, text_to_html
from pipeline.stages.advice import (
    ANSWER_BUTTONS,
    Voorwaarde,
    Vraag,
    own_text,
    parse_approval,
    parse_reply,
)
from pipeline.stages.intake import from_mail, html_to_text
from tests.conftest import sample


def test_the_sample_outlook_reply_gives_the_expected_advice():
    sub = from_mail(
        IncomingMail(
            "k", sample("mail-advice-reply.eml").read_bytes(), datetime.now(UTC)
        )
    )
    expected = json.loads(sample("mail-advice-reply.json").read_text())
    advies = parse_reply(sub.body)
    assert advies is not None
    assert advies.model_dump(exclude_none=True) == expected["advies"]
    assert "<mw-2026-0001.adviesaanvraag@maatwerk.zorginzou.nl>" in sub.in_reply_to


@pytest.mark.parametrize(
    "body,oordeel",
    [
        ("Advies: positief\nPrima.", "positief"),
        ("advies = negatief, te duur", "negatief"),
        ("Akkoord.\n\nGroet", "positief"),
        ("Niet akkoord: er is een gecontracteerde aanbieder.", "negatief"),
        ("Negatief advies: de onderbouwing ontbreekt.", "negatief"),
        ("Ik ben het er mee eens.", "positief"),
    ],
)
def test_common_ways_of_saying_it(body, oordeel):
    advies = parse_reply(body)
    assert advies is not None and advies.oordeel == oordeel


@pytest.mark.parametrize(
    "body",
    [
        "Ik bel je even.",
        "Positief over de aanbieder, maar negatief over het tarief.",
        (
            "Ik kijk er morgen naar.\n\nVan: Maatwerk regio ZOU"
            " <inkoop@zorginzou.nl>\nAdvies: positief"
        ),
        (
            "Even overleggen.\n\n-----Oorspronkelijk bericht-----\nAntwoord met Advies:"
            " positief of negatief"
        ),
        (
            "Zie hieronder.\n\nOp 11 mrt. 2027 om 13:52 schreef Maatwerk regio ZOU"
            " <inkoop@zorginzou.nl>:\n> Advies: positief"
        ),
    ],
)
def test_unclear_or_only_quoted_is_not_advice(body):
    assert parse_reply(body) is None


def test_icm_proposal_of_code_and_tariff():
    advies = parse_reply(
        "Advies: positief\nBekende aanbieder.\nProductcode: 45A53\nTarief: 92,40 per"
        " uur\n\nMvg ICM"
    )
    assert advies.productcode == "45A53"
    assert str(advies.tarief.bedrag) == "92.40" and advies.tarief.eenheid == "uur"
    assert advies.toelichting == "Bekende aanbieder."


def test_own_text_stops_at_outlook_history():
    assert (
        own_text("Advies: positief\r\n\r\nVan: iemand\r\nVerzonden: gisteren")
        == "Advies: positief"
    )


# --- the reply set: realistic replies with the reading they must get
# ----------------------

REPLIES = Path(__file__).parent / "replies"
OPPOSITE = {"positief": "negatief", "negatief": "positief"}


def _replies(name: str) -> list[dict]:
    return tomllib.loads((REPLIES / name).read_text(encoding="utf-8"))["reply"]


def _reading(reply: dict) -> tuple[str, str | None]:
    """What the reader made of a reply: positief | negatief | voorwaarde | vraag | geen,
    and the verdict underneath (a Voorwaarde's oordeel)."""
    parse = parse_approval if reply.get("kind") == "akkoord" else parse_reply
    got = parse(reply["body"], reply.get("subject", ""))
    if got is None:
        return "geen", None
    if isinstance(got, Voorwaarde):
        return "voorwaarde", got.oordeel
    if isinstance(got, Vraag):
        return "vraag", None
    return got.oordeel, got.oordeel


def _accuracy(replies: list[dict]) -> tuple[float, list[str]]:
    right, opposite = 0, []
    for reply in replies:
        kind, oordeel = _reading(reply)
        right += kind == reply["expect"]
        meant = reply.get("oordeel", reply["expect"])
        if oordeel is not None and OPPOSITE.get(meant) == oordeel:
            opposite.append(reply["name"])
    return right / len(replies), opposite


@pytest.mark.parametrize(
    "reply", _replies("replies.toml") + _replies("unseen.toml"), ids=lambda r: r["name"]
)
def test_each_reply_gets_its_reading(reply):
    kind, _ = _reading(reply)
    assert kind == reply["expect"]
    if "voorwaarde" in reply:
        parse = parse_approval if reply.get("kind") == "akkoord" else parse_reply
        got = parse(reply["body"], reply.get("subject", ""))
        assert reply["voorwaarde"] in got.voorwaarde


@pytest.mark.parametrize("name", ["replies.toml", "unseen.toml"])
def test_no_reply_is_read_as_the_opposite(name, capsys):
    replies = _replies(name)
    accuracy, opposite = _accuracy(replies)
    with capsys.disabled():
        print(f"\n{name}: {len(replies)} replies, {accuracy:.0%} read as expected")
    assert opposite == []


def test_the_reply_set_covers_at_least_sixty_replies():
    assert len(_replies("replies.toml")) >= 60


# --- the answer buttons of the advice request
# ---------------------------------------------

TEMPLATES = Path(__file__).parent.parent / "templates"
INKOOP_ADDRESS = "inkoop@zorginzou.nl"
TRICKY = 'R&D "Zorg" <b>#1</b>? {{ 7*7 }}'
REQUEST = {
    "zaak": "MW-2027-0001",
    "gemeente": "Zeist",
    "aanbieder": TRICKY,
    "type_hulp": "Individuele begeleiding",
    "productcode": "45A52",
    "spoed": "nee",
    "deadline": "donderdag 18 maart 2027",
    "termijn": 5,
    "meldingen": [],
    "stap": "advies",
    "crisis": False,
    "jr": False,
    "uitleg": None,
    "besluit": None,
    "eerdere_adviezen": [],
    "antwoord": None,
    "verlenging": None,
    "rol": "ICM",
    "icm": True,
    "afzender": "Maatwerk regio ZOU",
    "regioteam": "ICM",
}


def _compose(template: str, context: dict) -> EmailMessage:
    composer = MailComposer(
        TEMPLATES, INKOOP_ADDRESS, "Maatwerk regio ZOU", "maatwerk.test"
    )
    out = composer.compose(
        template, context, to=["icm@zorginzou.nl"], case_id="MW-2027-0001", kind="test"
    )
    return message_from_bytes(out.raw, policy=policy.default)


def _mailtos(msg: EmailMessage) -> list[tuple[str, str, str]]:
    """(address, subject, body) of each mailto link in the HTML part, as a mail client
    reads them."""
    markup = msg.get_body(("html",)).get_content()
    out = []
    for href in re.findall(r'href="(mailto:[^"]*)"', markup):
        url = html.unescape(href)
        address, _, query = url.removeprefix("mailto:").partition("?")
        fields = dict(kv.split("=", 1) for kv in query.split("&"))
        out.append(
            (unquote(address), unquote(fields["subject"]), unquote(fields["body"]))
        )
    return out


def test_advice_request_has_mailto_buttons_that_answer_in_the_fixed_place():
    msg = _compose("adviesaanvraag", REQUEST | {"tarief": "€ 92,40 per uur"})
    links = _mailtos(msg)
    assert [s.split(" – ")[0] for _, s, _ in links] == [
        "Advies: positief",
        "Advies: negatief",
    ]
    for address, subject, body in links:
        assert address == INKOOP_ADDRESS
        assert (
            subject.endswith(str(msg["Subject"]))
            and "[MW-2027-0001]" in subject
            and TRICKY in subject
        )
        assert body.startswith(subject.split(" – ")[0] + "\r\n\r\nToelichting: ")
        assert len(f"{address}{subject}{body}") < 2000
    # what the adviser sends with a button reads as that answer, with or without a
    # toelichting
    (_, subject, body), (_, neg_subject, neg_body) = links
    assert parse_reply(body, subject).oordeel == "positief"
    assert (
        parse_reply(
            neg_body.replace("Toelichting: ", "Toelichting: te duur."), neg_subject
        ).oordeel
        == "negatief"
    )
    assert parse_reply(neg_body, subject) is None  # subject and body disagree
    markup = msg.get_body(("html",)).get_content()
    assert "<b>#1</b>" not in markup and "&lt;b&gt;#1&lt;/b&gt;" in markup
    assert "Positief advies</a>" in markup and "[[knoppen" not in markup


def test_advice_request_plain_text_gives_the_answers_and_the_forms_values():
    msg = _compose("adviesaanvraag", REQUEST | {"tarief": "€ 92,40 per uur"})
    text = msg.get_body(("plain",)).get_content()
    assert (
        '"Advies: positief"' in text
        and '"Advies: negatief"' in text
        and "[[knoppen" not in text
    )
    assert (
        "volgens het formulier: 45A52" in text
        and "volgens het formulier: € 92,40 per uur" in text
    )
    assert "45A53" not in text and '92,40 per uur"' not in text
    without = _compose(
        "adviesaanvraag", REQUEST | {"icm": False, "rol": "beleidsadviseur"}
    )
    assert "Productcode:" not in without.get_body(("plain",)).get_content()
    assert (
        "Tarief"
        not in _compose("adviesaanvraag", REQUEST)
        .get_body(("plain",))
        .get_content()
        .split("ICM:")[0]
    )


def test_our_own_request_quoted_without_attribution_is_never_an_advice():
    msg = _compose("adviesaanvraag", REQUEST)
    for quoted in (
        msg.get_body(("plain",)).get_content(),
        html_to_text(msg.get_body(("html",)).get_content()),
    ):
        assert parse_reply("Ik kijk er morgen naar.\n\n" + quoted) is None
        assert parse_reply(quoted) is None


def test_approval_request_buttons_and_the_question_button():
    without = _compose(
        "akkoordverzoek", REQUEST | {"rol": "coördinator", "vragen": False}
    )
    assert [s.split(" – ")[0] for _, s, _ in _mailtos(without)] == [
        "Besluit: akkoord",
        "Besluit: niet akkoord",
    ]
    assert (
        "Vraag:" not in without.get_body(("plain",)).get_content()
    )  # a step without questions offers none
    msg = _compose("akkoordverzoek", REQUEST | {"rol": "poortwachter", "vragen": True})
    links = _mailtos(msg)
    assert [s.split(" – ")[0] for _, s, _ in links] == [
        "Besluit: akkoord",
        "Besluit: niet akkoord",
        "Vraag",
    ]
    (_, yes_s, yes_b), (_, no_s, no_b), (_, q_s, q_b) = links
    assert parse_approval(yes_b, yes_s).oordeel == "positief"
    assert parse_approval(no_b, no_s).oordeel == "negatief"
    assert (
        q_b.startswith("Vraag: ") and parse_approval(q_b, q_s) is None
    )  # nothing asked yet
    asked = q_b.replace("Vraag: ", "Vraag: Is de school al betrokken?", 1)
    assert re.search(
        r"Kenmerk: [a-z2-7]{26}$", asked
    )  # the answer's key, for pipeline/verify.py
    assert parse_approval(asked, q_s) == Vraag(
        "Is de school al betrokken?"
    )  # and never passed on


@pytest.mark.parametrize("akkoord", [False, True])
def test_unclear_reply_mail_has_the_buttons_again(akkoord):
    msg = _compose(
        "advies_onduidelijk",
        {"zaak": "MW-2027-0001", "akkoord": akkoord, "afzender": "Maatwerk"},
    )
    first = [s.split(" – ")[0] for _, s, _ in _mailtos(msg)][0]
    assert first == ("Besluit: akkoord" if akkoord else "Advies: positief")
    assert "[[knoppen" not in msg.get_body(("plain",)).get_content()


def test_a_very_long_subject_keeps_the_mailto_short_with_the_case_token():
    link = mailto(
        INKOOP_ADDRESS, "[MW-2027-0001] " + "é" * 900, ANSWER_BUTTONS["advies"][0]
    )
    assert len(link) <= 2000 and "%5BMW-2027-0001%5D" in link


def test_text_to_html_without_a_mailbox_writes_the_answers():
    markup = text_to_html("Uw advies:\n[[knoppen: advies]]")
    assert "mailto:" not in markup and "&quot;Advies: positief&quot;" in markup
    with pytest.raises(ValueError):
        text_to_html("[[knoppen: onbekend]]", mailbox=INKOOP_ADDRESS)


# Each mail program's attribution of the quoted request (issue: quoted history
# recognised), with a quoted 'Advies: positief' below an own answer that says the
# opposite: only the own text counts.
QUOTED_REQUEST = (
    "Beste beleidsadviseur,\n\nEr is een aanvraag binnengekomen.\nAntwoord met op de"
    ' eerste regel "Advies: positief" of "Advies: negatief".\nAdvies: positief\n'
)
ATTRIBUTIONS = {
    "outlook-desktop-nl": (
        "________________________________\nVan: Maatwerk regio ZOU"
        " <inkoop@zorginzou.nl>\nVerzonden: donderdag 11 maart 2027 13:52\nAan: Smit,"
        " Petra <p.smit@zeist.nl>\nOnderwerp: [MW-2027-0001] Adviesaanvraag\n\n"
    ),
    "outlook-desktop-en": (
        "-----Original Message-----\nFrom: Maatwerk regio ZOU"
        " <inkoop@zorginzou.nl>\nSent: Thursday, March 11, 2027 1:52 PM\nTo: Smit,"
        " Petra\nSubject: [MW-2027-0001]\n\n"
    ),
    "outlook-desktop-de": (
        "-----Ursprüngliche Nachricht-----\nVon: Maatwerk regio ZOU"
        " <inkoop@zorginzou.nl>\nGesendet: Donnerstag, 11. März 2027 13:52\nAn: Smit,"
        " Petra\nBetreff: [MW-2027-0001]\n\n"
    ),
    "outlook-desktop-fr": (
        "De : Maatwerk regio ZOU <inkoop@zorginzou.nl>\nEnvoyé : jeudi 11 mars 2027"
        " 13:52\nÀ : Smit, Petra\nObjet : [MW-2027-0001]\n\n"
    ),
    "outlook-web-nl": (
        "________________________________\nVan: Maatwerk regio ZOU\nVerzonden:"
        " donderdag 11 maart 2027 13:52\nAan: Petra Smit\nOnderwerp: RE:"
        " [MW-2027-0001]\n\n"
    ),
    "outlook-mac-nl": (
        "Van: Maatwerk regio ZOU <inkoop@zorginzou.nl>\nDatum: donderdag, 11 maart 2027"
        " om 13:52\nAan: Petra Smit <p.smit@zeist.nl>\nOnderwerp: [MW-2027-0001]"
        " Adviesaanvraag\n\n"
    ),
    "apple-mail-nl": (
        "> Op 11 mrt. 2027, om 13:52 heeft Maatwerk regio ZOU <inkoop@zorginzou.nl> het"
        " volgende geschreven:\n>\n"
    ),
    "apple-mail-en": (
        "> On 11 Mar 2027, at 13:52, Maatwerk regio ZOU <inkoop@zorginzou.nl>"
        " wrote:\n>\n"
    ),
    "gmail-nl": (
        "Op do 11 mrt 2027 om 13:52 schreef Maatwerk regio ZOU"
        " <\ninkoop@zorginzou.nl>:\n\n"
    ),
    "gmail-en": (
        "On Thu, Mar 11, 2027 at 1:52 PM Maatwerk regio ZOU"
        " <inkoop@zorginzou.nl>\nwrote:\n\n"
    ),
    "thunderbird-nl": "Op 11-03-2027 om 13:52 schreef Maatwerk regio ZOU:\n",
    "thunderbird-de": "Am 11.03.27 um 13:52 schrieb Maatwerk regio ZOU:\n",
}


@pytest.mark.parametrize("client", sorted(ATTRIBUTIONS))
def test_each_mail_programs_quoted_history_is_not_the_answer(client):
    attribution = ATTRIBUTIONS[client]
    quote = "".join(
        ("> " if attribution.startswith(">") else "") + line + "\n"
        for line in QUOTED_REQUEST.splitlines()
    )
    body = (
        "Advies: negatief\nEr is een gecontracteerde aanbieder.\n\nGroet,"
        f" Petra\n\n{attribution}{quote}"
    )
    advies = parse_reply(body)
    assert advies is not None and advies.oordeel == "negatief", client
    assert parse_reply(f"Ik kijk er morgen naar.\n\n{attribution}{quote}") is None, (
        client
    )
