"""Decisions nobody made and documents nobody should sign, tried end to end through the
Maildir backend as the region's staff would: automatic mail, the returned form, money in
the right units, data asked before the documents, who gets which mail, calendar and
region texts.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from docx import Document

from pipeline.mail import MaildirPostOffice
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    BACKOFFICE,
    ICM,
    INKOOP,
    THURSDAY,
    ZEIST_BA,
    Env,
    attachment,
    docx_text,
    mail_with_form,
    make_settings,
    reply_to,
    sample,
)
from tests.test_flow import (
    PROVIDER_DATA,
    REFERRER,
    _case,
    _crisis_form,
    _give_provider_data,
    _submit_sample,
)
from tests.test_render import _legacy_form


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def _advices(env, case_id="MW-2027-0001"):
    from pipeline import store

    with env.pipeline.store.session() as s:
        rows = store.get_case(s, case_id).advices
        s.expunge_all()
        return rows


def _subjects(env, address) -> list[str]:
    return [str(m["Subject"]) for m in env.inbox(address)]


# --- 2. automatic mail is never a colleague
# ------------------------------------------------


def test_the_products_mail_says_it_is_automatic(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    assert (
        to_ba["Auto-Submitted"] == "auto-generated"
        and to_ba["X-Auto-Response-Suppress"] == "All"
    )


def _out_of_office(
    original, sender: str, subject_prefix="Automatisch antwoord: ", headers=True
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = INKOOP
    msg["Subject"] = subject_prefix + str(original["Subject"])
    msg["Message-ID"] = make_msgid(domain="gemeente.test")
    msg["In-Reply-To"] = original["Message-ID"]
    if headers:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "Ik ben afwezig tot en met 22 maart. Positief nieuws: voor spoed kunt u bellen"
        " met 030-1234567."
    )
    return msg.as_bytes()


def _bounce(original, failed: str) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464), quoting the
    original's headers."""
    headers = "".join(
        f"{k}: {v}\r\n"
        for k, v in original.items()
        if k in ("From", "To", "Subject", "Message-ID")
    )
    return (
        "From: MAILER-DAEMON@mail.zorginzou.nl (Mail Delivery System)\r\nTo:"
        f" {INKOOP}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID:"
        f" {make_msgid(domain='mail.zorginzou.nl')}\r\nMIME-Version:"
        " 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nI\'m sorry to'
        " have to inform you that your message could not be"
        " delivered.\r\n--b1\r\nContent-Type:"
        " message/delivery-status\r\n\r\nReporting-MTA: dns;"
        f" mail.zorginzou.nl\r\n\r\nFinal-Recipient: rfc822; {failed}\r\nAction:"
        " failed\r\nStatus: 5.1.1\r\n--b1\r\nContent-Type:"
        f" text/rfc822-headers\r\n\r\n{headers}--b1--\r\n"
    ).encode()


def test_out_of_office_and_delivery_reports_are_recorded_icm_told_once_nobody_answered(
    env,
):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(_out_of_office(to_ba, ZEIST_BA))
    env.deliver(
        _out_of_office(to_ba, ZEIST_BA, subject_prefix="Out of Office: ", headers=False)
    )  # again, no header
    env.deliver(_bounce(to_icm, "icm@zorginzou.nl"))
    env.run()
    assert not [
        s for s in _subjects(env, ZEIST_BA) if "niet duidelijk" in s
    ]  # nobody answered
    told = [m for m in env.inbox(ICM) if m["Message-ID"] != to_icm["Message-ID"]]
    assert sorted(str(m["Subject"]) for m in told) == [
        "[MW-2027-0001] Automatisch antwoord (afwezig) van p.smit@zeist.nl",
        "[MW-2027-0001] Mail aan icm@zorginzou.nl niet bezorgd",
    ]  # once each
    case, events = _case(env)
    assert case.state == "advies_gevraagd" and not _advices(
        env
    )  # the 'Positief nieuws' is no advice
    assert sum("afwezig" in e[3] for e in events) == 2 and any(
        "niet bezorgd" in e[3] for e in events
    )
    assert env.folder(INKOOP, "Quarantaine") == []


def test_the_products_own_mail_in_its_inbox_is_never_input(tmp_path):
    """RIOZ buys in: its role address may be the product's inbox. A mail the product
    sent (its Message-ID, its address) arriving there is filed as handled, never read as
    a reply.
    """
    settings = make_settings(tmp_path)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        _submit_sample(env)
        [to_ba] = env.inbox(ZEIST_BA)
        env.deliver(to_ba.as_bytes())  # the advice request itself, back in the inbox
        forged_from_us = reply_to(to_ba, INKOOP, "Advies: positief")
        env.deliver(forged_from_us)
        env.run()
        case, _ = _case(env)
        assert case.state == "advies_gevraagd" and not _advices(env)
        assert (
            len(env.folder(INKOOP, "Verwerkt")) == 3
            and env.folder(INKOOP, "Quarantaine") == []
        )
        assert len(env.inbox(ZEIST_BA)) == 1  # nothing answered
    finally:
        pipeline.close()


# --- 3. a returned form counts fully
# ----------------------------------------------------------


def test_a_returned_form_counts_every_filled_advice_row_with_icms_code_tariff_and_icode(
    env,
):
    _submit_sample(env)
    _give_provider_data(env, on="ontvangen")
    [to_icm] = env.inbox(ICM)
    form = Document(io.BytesIO(attachment(to_icm, ".docx")))
    for row in (r for t in form.tables for r in t.rows):
        label = row.cells[0].text
        if label.startswith("Advies lokale beleidsadviseur") or label.startswith(
            "Advies ICM"
        ):
            for p in row.cells[1].paragraphs[1:]:
                p._element.getparent().remove(p._element)
            row.cells[1].paragraphs[0].text = ""
            text = (
                "Positief: past binnen het lokale beleid."
                if "beleidsadviseur" in label
                else (
                    "Positief, bekende aanbieder.\nProductcode: 45A53\nTarief: 95,00"
                    " per uur\ni-code: 45A53"
                )
            )
            for line in text.split("\n"):
                row.cells[1].add_paragraph(line)
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(
        reply_to(
            to_icm,
            ICM,
            "Zie het ingevulde formulier.",
            attachments=[("advies.docx", buf.getvalue())],
        )
    )
    env.run()
    case, events = _case(env)
    assert {
        a.rol: (a.oordeel, a.productcode, a.tarief_bedrag, a.icode)
        for a in _advices(env)
    } == {
        "beleidsadviseur": ("positief", None, None, None),
        "icm": ("positief", "45A53", "95.00", "45A53"),
    }
    assert any(
        "in het formulier teruggestuurd door icm@zorginzou.nl" in e[3] for e in events
    )
    [package] = env.inbox(BACKOFFICE)
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    assert (
        "45M53 (gemaakt van de regionale code 45A53)" in contract
        and "€ 95,00 per uur" in contract
    )


# --- 4. money right to the cent
# ---------------------------------------------------------------


def test_a_tariff_per_hour_and_an_inzet_in_dagdelen_are_converted_by_the_regions_rule(
    env,
):
    env.deliver(
        mail_with_form(
            REFERRER,
            "aanvraag",
            "a.docx",
            _legacy_form(
                {
                    "Omvang van de inzet": "3 dagdelen per week",
                    "Welk tarief stel je voor?": "€ 85,00 per uur",
                }
            ),
        )
    )
    env.run()
    [to_icm] = env.inbox(ICM)
    assert "€ 85,00 per uur" in _body(to_icm)  # the form's tariff, to confirm
    _give_provider_data(env, on="ontvangen")
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    [package] = env.inbox(BACKOFFICE)
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    # 1 april – 30 september 2027: € 85,00 × 12 uur × 183 / 7 = € 26.665,71 (not €
    # 13.295,70 from 3 × € 85)
    assert "3 dagdelen (= 12 uur) per week" in contract and "€ 26.665,71" in contract


def test_units_that_do_not_convert_make_no_value_and_icm_is_asked(env):
    env.deliver(
        mail_with_form(
            REFERRER,
            "aanvraag",
            "a.docx",
            _legacy_form(
                {
                    "Omvang van de inzet": "2 etmalen per week",
                    "Welk tarief stel je voor?": "€ 85,00 per uur",
                }
            ),
        )
    )
    env.run()
    _give_provider_data(env, on="ontvangen")
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    assert env.inbox(BACKOFFICE) == []
    [ask] = [m for m in env.inbox(ICM) if "Tarief nodig" in str(m["Subject"])]
    assert "het tarief is per uur, de inzet in etmalen" in _body(ask)
    env.deliver(
        reply_to(
            ask,
            ICM,
            "Dat wordt 310 euro per etmaal.\nTarief: 310,00 per etmaal\n\nGroet, ICM",
        )
    )
    env.run()
    [package] = env.inbox(BACKOFFICE)
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    assert (
        "€ 310,00 per etmaal × 2 etmalen per week × 183 dagen / 7 = € 16.208,57"
        in contract
    )


# --- 5. no document before its data is complete
# ----------------------------------------------


def test_an_answer_without_usable_data_is_asked_again_naming_what_is_still_missing(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    env.pipeline.clock = lambda: datetime(2027, 3, 12, 9, 0, tzinfo=UTC)  # the next day
    _give_provider_data(
        env,
        "Het adres is Stationsweg 12 in Zeist.\nTenaamstelling: Begeleidingspraktijk"
        " Sterk Thuis",
    )
    assert env.inbox(BACKOFFICE) == []  # an address without postcode is not certain
    again = sorted(
        (m for m in env.inbox(REFERRER) if "Nog nodig" in str(m["Subject"])),
        key=lambda m: m["Date"].datetime,
    )
    assert len(again) == 2 and "het adres van de aanbieder" in _body(again[-1])
    assert "tenaamstelling" not in _body(again[-1]).split("bijvoorbeeld")[0]
    _give_provider_data(env, "Adres: Stationsweg 12, 3701 AB Zeist")
    [package] = env.inbox(BACKOFFICE)
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    assert "gevestigd te Stationsweg 12, 3701 AB Zeist" in contract


# --- 7. the right people get the mail
# --------------------------------------------------------


def test_the_receipt_goes_to_the_sender_and_an_unchecked_form_address_gets_nothing(env):
    form = _legacy_form(
        {"Wie moeten we bellen": "Esther van Dijk, 030 4539139, esther@gmail.example"}
    )
    env.deliver(
        mail_with_form(
            '"Dijk, Esther van" <e.vandijk@zeist.nl>', "aanvraag", "a.docx", form
        )
    )
    env.run()
    [receipt] = env.inbox(REFERRER)
    assert _body(receipt).splitlines()[0] == "Beste Esther van Dijk,"
    assert env.inbox("esther@gmail.example") == []  # not one of the region's domains


def test_the_forms_contact_on_a_region_domain_is_copied_and_advisers_hear_the_outcome(
    env,
):
    form = _legacy_form(
        {"Wie moeten we bellen": "Els Bakker, 06-87654321, e.bakker@zeist.nl"}
    )
    env.deliver(
        mail_with_form("secretariaat.jeugd@zeist.nl", "aanvraag", "a.docx", form)
    )
    env.run()
    [receipt] = env.inbox("secretariaat.jeugd@zeist.nl")
    assert "e.bakker@zeist.nl" in str(receipt["Cc"]) and _body(receipt).startswith(
        "Beste aanvrager,"
    )
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_icm, ICM, "Advies: negatief\nTe duur."))
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief\nPast binnen het beleid."))
    env.run()
    [outcome_icm] = [
        m for m in env.inbox(ICM) if "Besluit positief" in str(m["Subject"])
    ]
    assert "Uw advies was negatief" in _body(outcome_icm)
    [outcome_ba] = [
        m for m in env.inbox(ZEIST_BA) if "Besluit positief" in str(m["Subject"])
    ]
    assert "in lijn met uw advies" in _body(outcome_ba)
    asks = [
        m
        for m in env.inbox("secretariaat.jeugd@zeist.nl")
        if "Nog nodig" in str(m["Subject"])
    ]
    assert len(asks) == 1 and "e.bakker@zeist.nl" in str(asks[0]["Cc"])


# --- 8. calendar and region
# ------------------------------------------------------------------


def test_no_escalation_on_a_saturday(env):
    friday = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)  # due Friday 19 March
    env.deliver(sample("mail-submission.eml").read_bytes(), at=friday)
    env.run()
    env.pipeline.clock = lambda: datetime(2027, 3, 20, 9, 30, tzinfo=UTC)  # Saturday
    assert env.pipeline.send_reminders() == 0
    env.pipeline.clock = lambda: datetime(
        2027, 3, 22, 8, 30, tzinfo=UTC
    )  # Monday 09:30
    assert env.pipeline.send_reminders() == 1
    assert any("Termijn verstreken" in s for s in _subjects(env, ICM))


def test_a_mail_just_after_midnight_on_new_years_day_gets_the_new_years_number(env):
    env.deliver(
        sample("mail-submission.eml").read_bytes(),
        at=datetime(2027, 12, 31, 23, 30, tzinfo=UTC),
    )
    env.run()
    case, _ = _case(env, "MW-2028-0001")
    assert (env.root / "register" / "2028" / "Zeist" / "MW-2028-0001").is_dir()


def test_a_crisis_is_marked_in_every_mail_of_the_case(env):
    env.deliver(mail_with_form(REFERRER, "crisis", "aanvraag.docx", _crisis_form()))
    env.run()
    _give_provider_data(env, PROVIDER_DATA, on="ontvangen")
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    sent = env.folder(INKOOP, "Verzonden")
    assert len(sent) >= 5 and all("(crisis)" in str(m["Subject"]) for m in sent), [
        str(m["Subject"]) for m in sent
    ]
    assert all("crisis" in _body(m).lower() for m in sent)


def test_rijk_van_nijmegen_speaks_of_its_own_roles(tmp_path):
    settings = make_settings(tmp_path, "rvn")
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        form = Document(
            str(sample("legacy-split-table.docx"))
        )  # jeugdhulp met verblijf
        form.tables[0].rows[1].cells[1].paragraphs[-1].runs[0].text = "Druten"
        buf = io.BytesIO()
        form.save(buf)
        env.deliver(mail_with_form(REFERRER, "aanvraag", "a.docx", buf.getvalue()))
        env.run()
        asks = [m for a in ("poortwachter.verblijf@robrvn.nl",) for m in env.inbox(a)]
        assert asks and all(
            "KNOOPpunt" not in _body(m) for m in asks
        )  # ZOU's verblijfsroute is not theirs
        env.deliver(
            reply_to(
                asks[0],
                "poortwachter.verblijf@robrvn.nl",
                "Niet akkoord. Eerst het lokale team.",
            )
        )
        env.run()
        [letter] = [
            m for m in env.inbox(REFERRER) if "Negatief advies" in str(m["Subject"])
        ]
        brief = docx_text(attachment(letter, "afwijzingsbrief MW-2027-0001.docx"))
        for text in (_body(letter), brief):
            assert "beleidsadviseur" not in text and "ICM" not in text
            assert "beoordeeld door de poortwachter verblijf" in text
    finally:
        pipeline.close()


def test_without_a_referrer_to_ask_icm_is_asked_for_the_provider_data_and_its_answer_counts(
    env,
):
    form = _legacy_form(
        {"Wie moeten we bellen": "Esther van Dijk, 030 4539139, esther@gmail.example"}
    )
    drop = env.root / "drop"
    drop.mkdir(exist_ok=True)
    (drop / "aanvraag.docx").write_bytes(form)
    env.pipeline.handle_file(
        drop / "aanvraag.docx"
    )  # a dropped file: no sender, the form's address unchecked
    env.pipeline.send_outbox()
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    [ask] = [m for m in env.inbox(ICM) if "Nog nodig" in str(m["Subject"])]
    assert _body(ask).startswith(
        "Beste ICM,"
    ) and "geen adres van de verwijzer" in _body(ask)
    assert env.inbox("esther@gmail.example") == []
    env.deliver(reply_to(ask, ICM, PROVIDER_DATA))
    env.run()
    [package] = env.inbox(BACKOFFICE)
    assert "Stationsweg 12, 3701 AB Zeist" in docx_text(
        attachment(package, "maatwerkovereenkomst MW-2027-0001.docx")
    )
