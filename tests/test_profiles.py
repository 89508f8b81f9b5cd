"""The three region profiles end to end through the Maildir backend: regio ZOU is
covered by test_flow.py; here Rijk van Nijmegen (poortwachter, questions,
contractbeheer, verblijf, Wijchen) and RIOZ Noordoost-Brabant (gemeente decides, new
providers, opdrachtbevestiging).
"""

from __future__ import annotations

import io

import pytest
from docx import Document

from pipeline.mail import MaildirPostOffice
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    THURSDAY,
    Env,
    attachment_names,
    mail_with_form,
    make_settings,
    pdf_text,
    reply_to,
    sample,
)
from tests.test_flow import _case, _give_provider_data

REFERRER = "verwijzer@wijkteam.example.nl"


@pytest.fixture
def region_env(tmp_path):
    made = []

    def make(profile: str) -> Env:
        settings = make_settings(tmp_path, profile)
        pipeline = Pipeline(settings, clock=lambda: THURSDAY)
        made.append(pipeline)
        return Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)

    yield make
    for p in made:
        p.close()


def _form(name: str, gemeente: str) -> bytes:
    doc = Document(str(sample(name)))
    doc.tables[0].rows[1].cells[1].paragraphs[-1].runs[0].text = gemeente
    for row in doc.tables[0].rows:  # answers go to the referrer of these tests
        if row.cells[0].text.startswith("Wie moeten we bellen"):
            for p in row.cells[1].paragraphs:
                for r in p.runs:
                    r.text = r.text.replace("e.vandijk@zeist.nl", REFERRER).replace(
                        "f.elamrani@houten.nl", REFERRER
                    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _one(env, address, containing):
    found = [m for m in env.inbox(address) if containing in str(m["Subject"])]
    assert len(found) == 1, [str(m["Subject"]) for m in env.inbox(address)]
    return found[0]


def test_rijk_van_nijmegen_named_poortwachter_asks_a_question_then_approves(region_env):
    env = region_env("rvn")
    chosen = "poortwachter2.jeugd@nijmegen.nl"
    env.deliver(
        mail_with_form(
            REFERRER,
            "aanvraag",
            "a.docx",
            _form("legacy-table.docx", "Nijmegen"),
            cc=chosen,
        )
    )
    env.run()
    assert (
        env.inbox("poortwachter.jeugd@nijmegen.nl") == []
    )  # the referrer named the other one
    ask = _one(env, chosen, "Beoordeling maatwerkovereenkomst (poortwachter)")
    assert '"akkoord" of "niet akkoord"' in ask.get_body(("plain",)).get_content()
    env.deliver(
        reply_to(
            ask,
            chosen,
            "Vraag: Heeft u al gecontracteerde aanbieders benaderd?\n\nGroet, Anne",
        )
    )
    env.run()
    question = _one(env, REFERRER, "Vraag over uw aanvraag")
    assert (
        "Heeft u al gecontracteerde aanbieders benaderd?"
        in question.get_body(("plain",)).get_content()
    )
    env.deliver(
        reply_to(
            question, REFERRER, "Ja, twee; geen van beide kan in het Turks behandelen."
        )
    )
    env.run()
    asks = [m for m in env.inbox(chosen) if "Beoordeling" in str(m["Subject"])]
    assert len(asks) == 2  # the answered request re-entered review
    [again] = [
        m
        for m in asks
        if "geen van beide kan in het Turks behandelen"
        in m.get_body(("plain",)).get_content()
    ]
    env.deliver(reply_to(again, chosen, "Akkoord, goed onderbouwd."))
    env.run()
    _give_provider_data(env, referrer=REFERRER)
    package = _one(env, "contractbeheer@robrvn.nl", "ter ondertekening")
    assert (
        "contractbeheerders maken de overeenkomst definitief"
        in package.get_body(("plain",)).get_content()
    )
    assert "maatwerkovereenkomst" in " ".join(attachment_names(package))
    assert not [
        m for m in env.inbox(REFERRER) if "ter ondertekening" in str(m["Subject"])
    ]  # ambulant: no cc
    case, events = _case(env)
    assert case.state == "contract_verstuurd"
    assert any("Vraag van poortwachter" in e[3] for e in events)
    assert any("opnieuw ter beoordeling" in e[3] for e in events)


def test_rijk_van_nijmegen_wijchen_verblijf_needs_both_poortwachters_and_copies_the_referrer(
    region_env,
):
    env = region_env("rvn")
    env.deliver(
        mail_with_form(
            REFERRER, "aanvraag", "a.docx", _form("legacy-split-table.docx", "Wijchen")
        )
    )
    env.run()
    verblijf = _one(env, "poortwachter.verblijf@robrvn.nl", "Beoordeling")
    wijchen = _one(env, "poortwachter.jeugd@wijchen.nl", "Beoordeling")
    env.deliver(reply_to(verblijf, "poortwachter.verblijf@robrvn.nl", "Akkoord"))
    env.run()
    assert (
        env.inbox("contractbeheer@robrvn.nl") == []
    )  # Wijchen's poortwachter jeugd has not answered yet
    env.deliver(reply_to(wijchen, "poortwachter.jeugd@wijchen.nl", "akkoord"))
    env.run()
    _give_provider_data(env, referrer=REFERRER)
    package = _one(env, "contractbeheer@robrvn.nl", "ter ondertekening")
    assert REFERRER in str(
        package["Cc"]
    )  # jeugdhulp met verblijf: the referrer gets a cc
    assert any("ter ondertekening" in str(m["Subject"]) for m in env.inbox(REFERRER))


def test_rijk_van_nijmegen_poortwachter_refuses(region_env):
    env = region_env("rvn")
    env.deliver(
        mail_with_form(
            REFERRER, "aanvraag", "a.docx", _form("legacy-table.docx", "Druten")
        )
    )
    env.run()
    ask = _one(env, "poortwachter.jeugd@druten.nl", "Beoordeling")
    env.deliver(
        reply_to(
            ask,
            "poortwachter.jeugd@druten.nl",
            "Niet akkoord. Eerst het lokale team raadplegen.",
        )
    )
    env.run()
    case, _ = _case(env)
    assert case.state == "negatief"
    letter = _one(env, REFERRER, "Negatief advies")
    assert (
        "Eerst het lokale team raadplegen." in letter.get_body(("plain",)).get_content()
    )


def test_rioz_new_provider_gets_documents_checked_before_the_opdrachtbevestiging(
    region_env,
):
    env = region_env("rioz")
    env.deliver(
        mail_with_form(
            REFERRER, "aanvraag", "a.docx", _form("legacy-split-table.docx", "Oss")
        )
    )
    env.run()
    ask = _one(env, "maatwerk.jeugd@oss.nl", "(besluit gemeente)")
    env.deliver(
        reply_to(
            ask, "maatwerk.jeugd@oss.nl", "Akkoord, de gemeente besluit tot maatwerk."
        )
    )
    env.run()
    assert env.inbox("backoffice.jeugd@oss.nl") == []
    rioz = _one(env, "maatwerk@rioz.nl", "(documenten nieuwe aanbieder)")
    assert "Vraag de documenten op" in rioz.get_body(("plain",)).get_content()
    env.deliver(
        reply_to(
            rioz,
            "maatwerk@rioz.nl",
            "Akkoord: documenten beoordeeld, maatwerkovereenkomst getekend.",
        )
    )
    env.run()
    _give_provider_data(env, referrer=REFERRER)
    confirmation = _one(env, "backoffice.jeugd@oss.nl", "Opdrachtbevestiging maatwerk")
    assert "maatwerk@rioz.nl" in str(confirmation["To"])
    pdf = next(
        p
        for p in confirmation.iter_attachments()
        if p.get_filename().endswith("opdrachtbevestiging MW-2027-0001.pdf")
    )
    text = pdf_text(pdf.get_payload(decode=True))
    assert (
        "Opdrachtbevestiging maatwerk" in text and "40A21" in text
    )  # RIOZ's profile has no M-rule


def test_rioz_known_provider_goes_straight_to_the_opdrachtbevestiging(region_env):
    env = region_env("rioz")
    env.deliver(
        mail_with_form(
            REFERRER, "aanvraag", "a.docx", _form("legacy-table.docx", "Vught")
        )
    )
    env.run()
    ask = _one(env, "maatwerk.jeugd@vught.nl", "(besluit gemeente)")
    env.deliver(reply_to(ask, "maatwerk.jeugd@vught.nl", "akkoord"))
    env.run()
    _give_provider_data(env, referrer=REFERRER)
    assert not [
        m
        for m in env.inbox("maatwerk@rioz.nl")
        if "documenten nieuwe aanbieder" in str(m["Subject"])
    ]
    _one(env, "backoffice.jeugd@vught.nl", "Opdrachtbevestiging maatwerk")
