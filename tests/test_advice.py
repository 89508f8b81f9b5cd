"""Advice read the way advisers answer, from the reply's own text only; nothing guessed."""
import json
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import pytest

from pipeline.advice import Voorwaarde, Vraag, own_text, parse_approval, parse_reply
from pipeline.intake import from_mail
from pipeline.mail import IncomingMail
from tests.conftest import sample


def test_the_sample_outlook_reply_gives_the_expected_advice():
    sub = from_mail(IncomingMail("k", sample("mail-advice-reply.eml").read_bytes(), datetime.now(timezone.utc)))
    expected = json.loads(sample("mail-advice-reply.json").read_text())
    advies = parse_reply(sub.body)
    assert advies is not None
    assert advies.model_dump(exclude_none=True) == expected["advies"]
    assert "<mw-2026-0001.adviesaanvraag@maatwerk.zorginzou.nl>" in sub.in_reply_to


@pytest.mark.parametrize("body,oordeel", [
    ("Advies: positief\nPrima.", "positief"),
    ("advies = negatief, te duur", "negatief"),
    ("Akkoord.\n\nGroet", "positief"),
    ("Niet akkoord: er is een gecontracteerde aanbieder.", "negatief"),
    ("Negatief advies: de onderbouwing ontbreekt.", "negatief"),
    ("Ik ben het er mee eens.", "positief"),
])
def test_common_ways_of_saying_it(body, oordeel):
    advies = parse_reply(body)
    assert advies is not None and advies.oordeel == oordeel


@pytest.mark.parametrize("body", [
    "Ik bel je even.",
    "Positief over de aanbieder, maar negatief over het tarief.",
    "Ik kijk er morgen naar.\n\nVan: Maatwerk regio ZOU <inkoop@zorginzou.nl>\nAdvies: positief",
    "Even overleggen.\n\n-----Oorspronkelijk bericht-----\nAntwoord met Advies: positief of negatief",
    "Zie hieronder.\n\nOp 11 mrt. 2027 om 13:52 schreef Maatwerk regio ZOU <inkoop@zorginzou.nl>:\n> Advies: positief",
])
def test_unclear_or_only_quoted_is_not_advice(body):
    assert parse_reply(body) is None


def test_icm_proposal_of_code_and_tariff():
    advies = parse_reply("Advies: positief\nBekende aanbieder.\nProductcode: 45A53\nTarief: 92,40 per uur\n\nMvg ICM")
    assert advies.productcode == "45A53"
    assert str(advies.tarief.bedrag) == "92.40" and advies.tarief.eenheid == "uur"
    assert advies.toelichting == "Bekende aanbieder."


def test_own_text_stops_at_outlook_history():
    assert own_text("Advies: positief\r\n\r\nVan: iemand\r\nVerzonden: gisteren") == "Advies: positief"


# --- the reply set: realistic replies with the reading they must get ----------------------

REPLIES = Path(__file__).parent / "replies"
OPPOSITE = {"positief": "negatief", "negatief": "positief"}


def _replies(name: str) -> list[dict]:
    return tomllib.loads((REPLIES / name).read_text(encoding="utf-8"))["reply"]


def _reading(reply: dict) -> tuple[str, Optional[str]]:
    """What the reader made of a reply: positief | negatief | voorwaarde | vraag | geen, and the
    verdict underneath (a Voorwaarde's oordeel)."""
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


@pytest.mark.parametrize("reply", _replies("replies.toml") + _replies("unseen.toml"), ids=lambda r: r["name"])
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
