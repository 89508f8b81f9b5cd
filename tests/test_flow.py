"""The whole flow through the Maildir backend: what each party's mailbox receives and
what the register holds — as ICM, the beleidsadviseur, the backoffice and the referrer
see it.
"""

from __future__ import annotations

import io
import json

from docx import Document

from pipeline import store
from tests.conftest import (  # noqa: I001
    BACKOFFICE,
    ICM,
    INKOOP,
    THURSDAY,
    ZEIST_BA,
    attachment,
    attachment_names,
    docx_text,
    mail_with_form,
    pdf_text,
    reply_to,
    sample,
)
from tests.signing import scanned, sent_contract

REFERRER = (  # the form's contactpersoon (and the sender of mail-submission.eml)
    "e.vandijk@zeist.nl"
)
SUBJECT = (
    "[MW-2027-0001] Adviesaanvraag maatwerkovereenkomst – Zeist – Begeleidingspraktijk"
    " Sterk Thuis"
)


def _case(env, case_id="MW-2027-0001"):
    with env.pipeline.store.session() as s:
        c = store.get_case(s, case_id)
        return c, [(e.from_state, e.to_state, e.source, e.what) for e in c.events]


def _submit_sample(env):
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()


PROVIDER_DATA = (
    "Adres: Stationsweg 12, 3701 AB Zeist\nTenaamstelling: Begeleidingspraktijk Sterk"
    " Thuis"
)


def _give_provider_data(env, body=PROVIDER_DATA, referrer=REFERRER, on="Nog nodig"):
    """The referrer answers the mail that asks for what the contract still needs (the
    sample form has no question for the provider's address and the account holder):
    after approval, or early, on the receipt (`on="ontvangen"`)."""
    [ask] = [m for m in env.inbox(referrer) if on in str(m["Subject"])][-1:]
    env.deliver(reply_to(ask, referrer, body))
    env.run()
    return ask


def _approve(env):
    """The sample request; the referrer answers the receipt with the provider data the
    form did not ask, both advisers reply 'Advies: positief'."""
    _submit_sample(env)
    _give_provider_data(env, on="ontvangen")
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()


def test_submission_asks_both_advisers_at_once_with_form_and_deadline(env):
    _submit_sample(env)

    for adviser in (ZEIST_BA, ICM):
        [mail] = env.inbox(adviser)
        assert str(mail["Subject"]) == SUBJECT
        assert mail["From"].addresses[0].addr_spec == INKOOP
        assert attachment_names(mail) == ["Aanvraagformulier MW-2027-0001.docx"]
        assert attachment(mail, ".docx") == _original_form(env)
        body = mail.get_body(("plain",)).get_content()
        assert (
            "uiterlijk op donderdag 18 maart 2027" in body
        )  # 5 working days after Thursday 11 March
        assert mail.get_body(("html",)) is not None
    # the referrer gets a receipt with the case number, on her own thread
    [receipt] = env.inbox(REFERRER)
    assert "[MW-2027-0001]" in str(receipt["Subject"])
    assert "AM9PR08MB58980424FED148E59165" in receipt["In-Reply-To"]
    case, events = _case(env)
    assert case.state == "advies_gevraagd"
    assert case.deadline.isoformat() == "2027-03-18"
    assert [e[1] for e in events if e[0] != e[1]] == ["ontvangen", "advies_gevraagd"]
    assert all(
        "AM9PR08MB58980424FED148E59165" in e[2] for e in events
    )  # which mail caused it
    assert any(
        "uiterlijk 2027-03-18" in e[3] for e in events
    )  # the deadline in the case history
    # the mail left the inbox only after its case was stored
    assert env.inbox(INKOOP) == []
    assert len(env.folder(INKOOP, "Verwerkt")) == 1


def _original_form(env) -> bytes:
    [form] = [p for p in env.register_files() if "aanvraagformulier" in p.name]
    return form.read_bytes()


def _crisis_form() -> bytes:
    """The legacy sample with the spoed question answered 'JA (crisis)'."""
    form = Document(str(sample("legacy-table.docx")))
    form.tables[0].rows[0].cells[1].paragraphs[0].runs[0].text = "JA (crisis)"
    buf = io.BytesIO()
    form.save(buf)
    return buf.getvalue()


def test_spoed_request_is_due_in_two_working_days(env):
    env.deliver(
        mail_with_form(REFERRER, "spoed aanvraag", "aanvraag.docx", _crisis_form())
    )
    env.run()
    [mail] = env.inbox(ZEIST_BA)
    assert (
        "uiterlijk op maandag 15 maart 2027 (2 werkdagen, spoed)"
        in mail.get_body(("plain",)).get_content()
    )


def test_positive_advice_sends_contract_package_and_files_everything(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(
        reply_to(
            to_ba,
            ZEIST_BA,
            "Advies: positief\n\nPast binnen het beleid; onderbouwing voldoende.\n\n"
            "Met vriendelijke groet,\nPetra Smit",
        )
    )
    env.run()
    case, _ = _case(env)
    assert case.state == "advies_gevraagd"  # still waiting for ICM
    assert env.inbox(BACKOFFICE) == []
    env.deliver(
        reply_to(
            to_icm,
            ICM,
            "Advies: positief\nAanbieder is bekend en levert elders.\n"
            "Productcode: 45A53\nTarief: 92,40 per uur\n\nGroet, ICM",
        )
    )
    env.run()
    # no document before its data is complete: the referrer is asked for exactly what is
    # missing
    assert env.inbox(BACKOFFICE) == []
    case, _ = _case(env)
    assert case.state == "positief"
    ask = _give_provider_data(env)
    asked = ask.get_body(("plain",)).get_content()
    assert (
        "het adres van de aanbieder" in asked
        and "de tenaamstelling van de rekening" in asked
    )
    assert (
        "KvK-nummer" not in asked.split("bijvoorbeeld")[0]
        and "IBAN" not in asked.split("bijvoorbeeld")[0]
    )

    [package] = env.inbox(BACKOFFICE)
    assert str(package["Subject"]).startswith(
        "[MW-2027-0001] Maatwerkovereenkomst ter ondertekening"
    )
    names = attachment_names(package)
    assert names == [
        "2027-03-11 maatwerkovereenkomst MW-2027-0001.pdf",
        "2027-03-11 leveranciersformulier MW-2027-0001.pdf",
        "2027-03-11 maatwerkovereenkomst MW-2027-0001.docx",
        "2027-03-11 leveranciersformulier MW-2027-0001.docx",
    ]
    contract_pdf = pdf_text(
        attachment(package, "maatwerkovereenkomst MW-2027-0001.pdf")
    )
    assert (
        "45M53" in contract_pdf
        and "€ 92,40 per uur" in contract_pdf
        and "{{" not in contract_pdf
    )
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    assert "45M53" in contract  # ICM's code in its maatwerk form
    assert "€ 92,40 per uur" in contract  # ICM's tariff
    assert "Begeleidingspraktijk Sterk Thuis" in contract and "61968440" in contract
    assert "644475" in contract  # the client only by ZorgNed number
    assert "Esther" not in contract
    # 1 April – 30 September 2027 = 183 days: € 92,40 × 3 uur × 183 / 7 weeks, rounded
    # once at the end
    assert "€ 7.246,80" in contract and "183 dagen / 7" in contract
    assert "Stationsweg 12, 3701 AB Zeist" in contract
    assert not any(gap in contract for gap in ("ONTBREEKT", "in te vullen", "—"))
    assert "coördinator/teammanager toegang" in contract  # below € 50.000
    sheet = docx_text(attachment(package, "leveranciersformulier MW-2027-0001.docx"))
    assert "NL51SNSB4236634872" in sheet and "98049028" in sheet
    assert (
        "Tenaamstelling IBAN\nBegeleidingspraktijk Sterk Thuis" in sheet
        and "—" not in sheet
    )
    assert package["References"] and to_ba["Message-ID"] in package["References"]
    # the referrer gets the same package
    assert any("ter ondertekening" in str(m["Subject"]) for m in env.inbox(REFERRER))

    case, events = _case(env)
    assert case.state == "contract_verstuurd"
    assert [e[1] for e in events if e[0] != e[1]] == [
        "ontvangen",
        "advies_gevraagd",
        "positief",
        "contract_verstuurd",
    ]
    folder = env.root / "register" / "2027" / "Zeist" / "MW-2027-0001"
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(
        [
            "2027-03-11 aanvraagformulier MW-2027-0001.docx",
            "2027-03-11 aanvraagmail MW-2027-0001.eml",
            "2027-03-11 gegevens MW-2027-0001.json",
            "2027-03-11 advies beleidsadviseur MW-2027-0001.eml",
            "2027-03-11 advies icm MW-2027-0001.eml",
            "2027-03-11 gegevens aanbieder MW-2027-0001.eml",
            "2027-03-11 contract MW-2027-0001.docx",
            "2027-03-11 contract MW-2027-0001.pdf",
            "2027-03-11 leveranciersformulier MW-2027-0001.docx",
            "2027-03-11 leveranciersformulier MW-2027-0001.pdf",
        ]
    )
    record = json.loads((folder / "2027-03-11 gegevens MW-2027-0001.json").read_text())
    assert (
        record["aanbieder"]["naam"] == "Begeleidingspraktijk Sterk Thuis"
        and record["meldingen"] == []
    )
    assert all(oct(p.stat().st_mode & 0o777) == "0o640" for p in folder.iterdir())

    # the contract comes back signed (printed, signed, scanned) on the thread →
    # getekend, filed
    signed = scanned(attachment(package, "maatwerkovereenkomst MW-2027-0001.pdf"))
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "Hierbij de getekende overeenkomst.",
            attachments=[("getekend.pdf", signed)],
        )
    )
    env.run()
    case, _ = _case(env)
    assert case.state == "getekend"
    assert (
        folder / "2027-03-11 getekend contract MW-2027-0001.pdf"
    ).read_bytes() == signed
    [confirmation] = [
        m
        for m in env.inbox(BACKOFFICE)
        if "Getekende maatwerkovereenkomst" in str(m["Subject"])
    ]
    assert (
        "2027/Zeist/MW-2027-0001/2027-03-11 getekend contract MW-2027-0001.pdf"
        in confirmation.get_body(("plain",)).get_content()
    )


def test_beleidsadviseur_decides_when_advisers_disagree_negative(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_icm, ICM, "Advies: positief\nGeen bezwaar."))
    env.deliver(
        reply_to(
            to_ba,
            ZEIST_BA,
            "Advies: negatief\n\nStichting Kwadraat Jeugdhulp kan deze hulp bieden "
            "binnen vier weken.\n\nMet vriendelijke groet,\nPetra",
        )
    )
    env.run()
    case, _ = _case(env)
    assert case.state == "negatief"
    assert env.inbox(BACKOFFICE) == []
    letter_mail = [
        m for m in env.inbox(REFERRER) if "Negatief advies" in str(m["Subject"])
    ]
    assert len(letter_mail) == 1
    body = letter_mail[0].get_body(("plain",)).get_content()
    assert (
        "Stichting Kwadraat Jeugdhulp kan deze hulp bieden binnen vier weken." in body
    )
    letter = docx_text(attachment(letter_mail[0], "afwijzingsbrief MW-2027-0001.docx"))
    assert "Stichting Kwadraat Jeugdhulp kan deze hulp bieden" in letter
    assert "Petra" not in body  # the adviser's signature is not part of the argument
    folder = env.root / "register" / "2027" / "Zeist" / "MW-2027-0001"
    assert (folder / "2027-03-11 afwijzingsbrief MW-2027-0001.docx").exists()
    assert "Stichting Kwadraat Jeugdhulp" in pdf_text(
        (folder / "2027-03-11 afwijzingsbrief MW-2027-0001.pdf").read_bytes()
    )


def test_beleidsadviseur_decides_when_advisers_disagree_positive(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_icm, ICM, "Advies: negatief\nTe duur."))
    env.deliver(reply_to(to_ba, ZEIST_BA, "Akkoord, passend bij het beleid."))
    env.run()
    _give_provider_data(env)
    case, events = _case(env)
    assert case.state == "contract_verstuurd"
    assert any("beleidsadviseur beslist" in e[3] for e in events)
    [package] = env.inbox(BACKOFFICE)
    assert "niet eens" in package.get_body(("plain",)).get_content()


def test_invalid_form_is_refused_to_its_sender_in_dutch_and_kept(env):
    content = sample("legacy-invalid-jeugdwet.docx").read_bytes()
    env.deliver(
        mail_with_form("t.elamrani@zeist.nl", "aanvraag", "aanvraag.docx", content)
    )
    env.run()
    [refusal] = env.inbox("t.elamrani@zeist.nl")
    assert (
        str(refusal["Subject"])
        == "[MW-2027-0001] Aanvraag maatwerkovereenkomst niet in behandeling genomen"
    )
    body = refusal.get_body(("plain",)).get_content()
    assert "Niet gecheckt of de hulp onder de Jeugdwet valt" in body
    assert env.inbox(ZEIST_BA) == [] and env.inbox(ICM) == []
    case, events = _case(env)
    assert case.state == "geweigerd"
    assert events[-1][1] == "geweigerd" and "Jeugdwet" in events[-1][3]
    folder = env.root / "register" / "2027" / "Zeist" / "MW-2027-0001"
    assert (
        folder / "2027-03-11 aanvraagformulier MW-2027-0001.docx"
    ).read_bytes() == content


def test_unreadable_form_is_refused_with_reason_and_kept(env):
    content = sample("bad-truncated.docx").read_bytes()
    env.deliver(
        mail_with_form("iemand@houten.nl", "aanvraag", "aanvraag.docx", content)
    )
    env.run()
    [refusal] = env.inbox("iemand@houten.nl")
    assert "beschadigd of onvolledig" in refusal.get_body(("plain",)).get_content()
    case, _ = _case(env)
    assert case.state == "geweigerd"
    [kept] = [p for p in env.register_files() if "aanvraagformulier" in p.name]
    assert kept.read_bytes() == content and "onbekend" in kept.parts


def test_mail_without_form_gets_dutch_answer_and_is_kept_in_quarantine(env):
    env.deliver(
        mail_with_form(
            "iemand@bunnik.nl", "vraagje", "", b"", body="Hoe vraag ik maatwerk aan?"
        )
    )
    env.run()
    [answer] = env.inbox("iemand@bunnik.nl")
    assert "Geen aanvraagformulier gevonden" in str(answer["Subject"])
    assert len(env.folder(INKOOP, "Quarantaine")) == 1
    assert env.inbox(INKOOP) == []


def test_the_same_mail_twice_makes_one_case(env):
    raw = sample("mail-submission.eml").read_bytes()
    env.deliver(raw)
    env.run()
    env.deliver(raw)
    env.run()
    with env.pipeline.store.session() as s:
        assert len(store.open_cases(s)) == 1
    assert len(env.inbox(ZEIST_BA)) == 1
    assert len(env.folder(INKOOP, "Verwerkt")) == 2


def test_reply_from_someone_else_is_not_advice_and_icm_is_told(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(reply_to(to_ba, "collega@zeist.nl", "Advies: positief"))
    env.run()
    case, events = _case(env)
    assert case.state == "advies_gevraagd"
    assert (
        "collega@zeist.nl" in events[-1][3]
        and "niet als advies verwerkt" in events[-1][3]
    )
    told = [m for m in env.inbox(ICM) if "geen adviseur" in str(m["Subject"])]
    assert len(told) == 1


def test_unclear_advice_is_not_guessed(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Ik bel je morgen even hierover."))
    env.run()
    case, events = _case(env)
    assert case.state == "advies_gevraagd"
    question = [m for m in env.inbox(ZEIST_BA) if "niet duidelijk" in str(m["Subject"])]
    assert len(question) == 1
    assert "verduidelijking" in events[-1][3]


def test_answers_with_template_syntax_and_markup_appear_literally(env):
    form = Document(str(sample("legacy-table.docx")))
    row = next(
        r for r in form.tables[0].rows if r.cells[0].text.startswith("Welke aanbieder")
    )
    # (a bracketed part of a name is an annotation and left out of the name, so the
    # formula has none)
    row.cells[1].paragraphs[0].runs[
        0
    ].text = "R&D <b>Zorg</b> {{ 7*7 }} =A1*2, contactpersoon Ruud, 0343 266910"
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", buf.getvalue()))
    env.run()
    [to_ba] = env.inbox(ZEIST_BA)
    assert "R&D <b>Zorg</b> {{ 7*7 }}" in str(to_ba["Subject"])
    html = to_ba.get_body(("html",)).get_content()
    assert "<b>Zorg</b>" not in html and "&lt;b&gt;Zorg&lt;/b&gt;" in html
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    _give_provider_data(
        env,
        "Adres: Stationsweg 12, 3701 AB Zeist\nTenaamstelling: =HYPERLINK(1) {{ 7*7 }}"
        " <i>x</i>",
    )
    [package] = env.inbox(BACKOFFICE)
    contract = docx_text(attachment(package, "maatwerkovereenkomst MW-2027-0001.docx"))
    assert "R&D <b>Zorg</b> {{ 7*7 }} =A1*2" in contract
    sheet = docx_text(attachment(package, "leveranciersformulier MW-2027-0001.docx"))
    assert (
        "=HYPERLINK(1) {{ 7*7 }} <i>x</i>" in sheet
    )  # a value given in a reply is data too
    assert "49" not in contract.split("R&D")[1][:30]


def test_dropped_file_becomes_a_case_and_a_refused_one_gets_a_reason(env):
    from pipeline.workflow.pipeline import RunReport
    from watchers.folder import DropFolder
    from watchers.run import _handle_files

    drop_dir = env.root / "drop"
    drop_dir.mkdir()
    (drop_dir / "aanvraag zeist.docx").write_bytes(
        sample("legacy-table.docx").read_bytes()
    )
    (drop_dir / "kapot.docx").write_bytes(sample("bad-truncated.docx").read_bytes())
    drop = DropFolder(drop_dir, stable_seconds=0.2)
    report = RunReport()
    _handle_files(env.pipeline, drop, drop.wait_until_stable(), report)
    assert len(report.cases) == 2
    assert sorted(p.name for p in (drop_dir / "verwerkt").iterdir()) == [
        "MW-2027-0001 aanvraag zeist.docx"
    ]
    refused = sorted(p.name for p in (drop_dir / "geweigerd").iterdir())
    assert refused == ["MW-2027-0002 kapot.docx", "MW-2027-0002 kapot.docx.reden.txt"]
    assert (
        "beschadigd"
        in (drop_dir / "geweigerd" / "MW-2027-0002 kapot.docx.reden.txt").read_text()
    )
    assert len(env.inbox(ZEIST_BA)) == 1  # advice asked for the dropped form


def test_a_file_still_being_written_is_not_taken(env):
    from watchers.folder import DropFolder

    drop_dir = env.root / "drop"
    drop_dir.mkdir()
    growing = drop_dir / "groeit.docx"
    growing.write_bytes(b"PK\x03\x04" + b"x" * 100)
    drop = DropFolder(drop_dir, stable_seconds=5)
    assert drop.ready(now=100.0) == []
    growing.write_bytes(b"PK\x03\x04" + b"x" * 200)
    assert drop.ready(now=104.0) == []  # changed: the clock starts again
    assert drop.ready(now=108.0) == []
    assert drop.ready(now=109.5) == [growing]
    (drop_dir / "~$groeit.docx").write_bytes(
        b"lock"
    )  # Word's lock file is never a submission
    assert drop.ready(now=200.0) == [growing]


def test_fillable_pdf_from_another_region_goes_to_its_advisers(env):
    content = sample("acroform-other-region.pdf").read_bytes()
    env.deliver(
        mail_with_form(
            "a.jansen@wijkbijduurstede.nl", "aanvraag", "aanvraag.pdf", content
        )
    )
    env.run()
    [to_ba] = env.inbox("beleid.jeugd@wijkbijduurstede.nl")
    assert (
        str(to_ba["Subject"])
        == "[MW-2027-0001] Adviesaanvraag maatwerkovereenkomst – Wijk bij Duurstede – "
        "Begeleidingspraktijk Sterk Thuis"
    )
    [part] = list(to_ba.iter_attachments())
    assert part.get_filename() == "Aanvraagformulier MW-2027-0001.pdf"
    assert (
        part.get_content_type() == "application/pdf"
        and part.get_payload(decode=True) == content
    )


def test_a_supporting_document_beside_the_form_is_filed_not_refused(env):
    from email import policy
    from email.parser import BytesParser

    raw = mail_with_form(
        REFERRER, "aanvraag", "aanvraag.docx", sample("legacy-table.docx").read_bytes()
    )
    msg = BytesParser(policy=policy.SMTP).parsebytes(raw)
    msg.add_attachment(
        b"%PDF-1.4 verslag gedragswetenschapper",
        maintype="application",
        subtype="pdf",
        filename="verslag.pdf",
    )
    env.deliver(msg.as_bytes())
    env.run()
    case, _ = _case(env)
    assert case.state == "advies_gevraagd"
    assert not [
        m for m in env.inbox(REFERRER) if "niet in behandeling" in str(m["Subject"])
    ]
    folder = env.root / "register" / "2027" / "Zeist" / "MW-2027-0001"
    assert (
        folder / "2027-03-11 bijlage 1 MW-2027-0001.pdf"
    ).read_bytes() == b"%PDF-1.4 verslag gedragswetenschapper"


def test_a_second_request_for_the_same_client_and_provider_warns_the_advisers(env):
    _submit_sample(env)
    form = Document(str(sample("legacy-table.docx")))
    form.tables[0].rows[0].cells[1].paragraphs[0].runs[
        0
    ].text = "ja"  # sent again, now with spoed
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(mail_with_form(REFERRER, "nogmaals", "aanvraag.docx", buf.getvalue()))
    env.run()
    second = [m for m in env.inbox(ZEIST_BA) if "MW-2027-0002" in str(m["Subject"])]
    assert len(second) == 1
    assert (
        "loopt al zaak MW-2027-0001 bij dezelfde aanbieder"
        in second[0].get_body(("plain",)).get_content()
    )


def test_a_scanned_form_is_read_and_its_uncertain_fields_are_shown_to_the_advisers(env):
    content = sample("legacy-table-scan.pdf").read_bytes()
    env.deliver(mail_with_form(REFERRER, "scan aanvraag", "scan.pdf", content))
    env.run()
    [to_ba] = env.inbox(ZEIST_BA)
    assert "Begeleidingspraktijk Sterk Thuis" in str(to_ba["Subject"])
    body = to_ba.get_body(("plain",)).get_content()
    case, _ = _case(env)
    warnings = [m.tekst for m in case.meldingen if m.ernst == "waarschuwing"]
    assert any("scan en met tekstherkenning gelezen" in w for w in warnings)
    for tekst in warnings:  # the scan notice and any field read with low confidence
        assert tekst in body


def test_when_libreoffice_crashes_the_case_goes_on_with_docx(
    env, tmp_path, monkeypatch
):
    crashing = tmp_path / "soffice"
    crashing.write_text("#!/bin/sh\nexit 134\n")  # like a LibreOffice abort: no output
    crashing.chmod(0o755)
    monkeypatch.setenv("MAATWERK_SOFFICE", str(crashing))
    _approve(env)
    case, events = _case(env)
    assert case.state == "contract_verstuurd"
    assert any("PDF-versie niet gemaakt" in e[3] for e in events)
    [package] = env.inbox(BACKOFFICE)
    assert [n.rsplit(".", 1)[1] for n in attachment_names(package)] == ["docx", "docx"]


def test_register_index_lists_each_contract_and_neutralises_formulas(env):
    from openpyxl import load_workbook

    form = Document(str(sample("legacy-table.docx")))
    row = next(
        r for r in form.tables[0].rows if r.cells[0].text.startswith("Welke aanbieder")
    )
    row.cells[1].paragraphs[0].runs[
        0
    ].text = "=A1*7, contactpersoon Ruud, 0343 266910"  # a formula as a name
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", buf.getvalue()))
    env.run()
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    _give_provider_data(env)
    ws = load_workbook(env.root / "register" / "register.xlsx").active
    assert [c.value for c in ws[1]][:8] == [
        "zaak",
        "gemeente",
        "aanbieder",
        "productcode",
        "start",
        "einde",
        "waarde (€)",
        "status",
    ]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    values = [c.value for c in ws[2]]
    assert values[0] == "MW-2027-0001" and values[1] == "Zeist" and values[3] == "45M52"
    assert values[2] == "=A1*7" and ws.cell(2, 3).data_type == "s"
    assert (
        values[5].date().isoformat() == "2027-09-30"
        and values[7] == "verstuurd, nog niet getekend"
    )
    assert values[8] == (values[5].date() - THURSDAY.date()).days
    import csv

    with (env.root / "register" / "register.csv").open(
        encoding="utf-8-sig", newline=""
    ) as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert (
        rows[1][:3] == ["MW-2027-0001", "Zeist", "'=A1*7"]
        and rows[1][5] == "30-09-2027"
    )


def test_the_console_tells_each_event_once_with_the_case_and_no_personal_data(
    env, caplog
):
    caplog.set_level("INFO", logger="maatwerk.gebeurtenis")
    _approve(env)
    told = [r.getMessage() for r in caplog.records if r.name == "maatwerk.gebeurtenis"]
    assert told == [
        "MW-2027-0001 ontvangen",
        "MW-2027-0001 advies gevraagd (advies)",
        "MW-2027-0001 advies ontvangen (beleidsadviseur)",
        "MW-2027-0001 advies ontvangen (ICM)",
        "MW-2027-0001 besluit (positief)",
        "MW-2027-0001 contract verstuurd",
    ]
    record = json.loads(
        next((env.root / "register").rglob("*gegevens MW-2027-0001.json")).read_text()
    )
    fields = record.get("record", record)
    personal = [
        fields["zorgned_nummer"],
        fields["contactpersoon"]["naam"],
        fields["aanbieder"]["naam"],
        REFERRER,
        ZEIST_BA,
    ]
    assert all(personal) and not [p for p in personal if any(p in t for t in told)]


def test_a_transaction_rolled_back_tells_nothing(env, caplog):
    from pipeline.workflow import events

    caplog.set_level("INFO", logger="maatwerk.gebeurtenis")
    try:
        with env.pipeline.store.session() as s:
            events.happened(s, "MW-2027-0009", events.Event.ontvangen)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with env.pipeline.store.session() as s:
        events.happened(s, "MW-2027-0010", events.Event.ontvangen)
    told = [r.getMessage() for r in caplog.records if r.name == "maatwerk.gebeurtenis"]
    assert told == ["MW-2027-0010 ontvangen"]


def test_signed_contract_in_a_new_mail_with_the_case_token_counts_once_icm_confirms_it(
    env, caplog
):
    """A new mail (no answer to a mail the product sent its sender) is matched by the
    token but cannot be shown to come from the adviser: kept on the case, ICM told;
    ICM's akkoord lets it count.
    """
    caplog.set_level("INFO", logger="maatwerk.gebeurtenis")
    _approve(env)
    from email.message import EmailMessage
    from email.utils import make_msgid

    msg = EmailMessage()
    msg["From"], msg["To"] = ZEIST_BA, INKOOP
    msg["Subject"] = "Getekend contract [MW-2027-0001]"
    msg["Message-ID"] = make_msgid(domain="zeist.nl")
    msg.set_content("In kopie de getekende overeenkomst.")
    msg.add_attachment(
        scanned(sent_contract(env.root / "register")),
        maintype="application",
        subtype="pdf",
        filename="scan.pdf",
    )
    env.deliver(msg.as_bytes())
    env.run()
    case, events = _case(env)
    assert case.state == "contract_verstuurd" and "niet geverifieerd" in events[-1][3]
    [notice] = [m for m in env.inbox(ICM) if "niet geverifieerd" in str(m["Subject"])]
    env.deliver(reply_to(notice, ICM, "Akkoord, ik heb Petra gebeld."))
    env.run()
    case, events = _case(env)
    assert case.state == "getekend" and case.getekend_op.isoformat() == "2027-03-11"
    told = [r.getMessage() for r in caplog.records if r.name == "maatwerk.gebeurtenis"]
    assert told[-1] == "MW-2027-0001 getekend"
    assert any("loopt tot 2027-09-30" in e[3] for e in events)


def test_the_same_form_sent_again_in_a_new_mail_makes_no_second_case_and_the_sender_is_told(
    env,
):
    content = sample("legacy-table.docx").read_bytes()
    env.deliver(mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", content))
    env.run()
    env.deliver(
        mail_with_form(REFERRER, "nogmaals de aanvraag", "kopie.docx", content)
    )  # new Message-ID
    env.run()
    with env.pipeline.store.session() as s:
        assert len(store.open_cases(s)) == 1
    assert len(env.inbox(ZEIST_BA)) == 1
    [told] = [m for m in env.inbox(REFERRER) if "al ontvangen" in str(m["Subject"])]
    assert "als zaak MW-2027-0001" in told.get_body(("plain",)).get_content()


def test_the_same_form_stored_by_another_worker_at_the_same_moment_is_not_lost(
    env, monkeypatch
):
    """Two workers handle two mails with the same form at once: the second one's check
    saw no case yet, and its commit hits the unique form. Its mail stays in the inbox
    and the next round tells the sender, as for any form received twice."""
    content = sample("legacy-table.docx").read_bytes()
    env.deliver(mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", content))
    env.run()
    monkeypatch.setattr(
        store, "case_with_form", lambda s, sha: None
    )  # the other worker's case not seen yet
    env.deliver(mail_with_form(REFERRER, "nogmaals de aanvraag", "kopie.docx", content))
    env.run()
    assert (
        len(env.inbox(INKOOP)) == 1 and env.folder(INKOOP, "Quarantaine") == []
    )  # waiting, not lost
    monkeypatch.undo()
    env.run()
    assert env.inbox(INKOOP) == []
    [told] = [m for m in env.inbox(REFERRER) if "al ontvangen" in str(m["Subject"])]
    assert "als zaak MW-2027-0001" in told.get_body(("plain",)).get_content()
    with env.pipeline.store.session() as s:
        assert len(store.open_cases(s)) == 1


def test_mail_from_outside_the_allowlist_is_quarantined_and_icm_told(tmp_path):
    from pipeline.mail import MaildirPostOffice
    from pipeline.workflow.pipeline import Pipeline
    from tests.conftest import Env, make_settings

    settings = make_settings(tmp_path)
    settings.intake.allowed_senders = ["zeist.nl", "gi@jeugdbescherming.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        content = sample("legacy-table.docx").read_bytes()
        env.deliver(
            mail_with_form("phisher@example.com", "factuur", "aanvraag.docx", content)
        )
        env.deliver(
            mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", content)
        )  # zeist.nl: allowed
        env.run()
        assert len(env.folder(INKOOP, "Quarantaine")) == 1
        assert env.inbox("phisher@example.com") == []  # no answer to an unknown sender
        [told] = [
            m
            for m in env.inbox(ICM)
            if "buiten de toegestane lijst" in str(m["Subject"])
        ]
        assert "phisher@example.com" in told.get_body(("plain",)).get_content()
        assert (
            len(
                [
                    m
                    for m in env.inbox(ZEIST_BA)
                    if "Adviesaanvraag" in str(m["Subject"])
                ]
            )
            == 1
        )
    finally:
        pipeline.close()


def test_an_attachment_over_the_size_limit_is_refused_with_a_reason(tmp_path):
    from pipeline.mail import MaildirPostOffice
    from pipeline.workflow.pipeline import Pipeline
    from tests.conftest import Env, make_settings

    settings = make_settings(tmp_path)
    settings.intake.max_attachment_mb = 0.01  # 10 KB: the sample form is larger
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        env.deliver(
            mail_with_form(
                REFERRER,
                "aanvraag",
                "aanvraag.docx",
                sample("legacy-table.docx").read_bytes(),
            )
        )
        env.run()
        [refusal] = [
            m for m in env.inbox(REFERRER) if "niet in behandeling" in str(m["Subject"])
        ]
        assert "groter dan 0,01 MB" in refusal.get_body(("plain",)).get_content()
    finally:
        pipeline.close()


def test_reprocess_takes_quarantined_mail_again_after_a_fix(tmp_path):
    from pipeline.mail import MaildirPostOffice
    from pipeline.workflow.pipeline import Pipeline
    from tests.conftest import Env, make_settings

    settings = make_settings(tmp_path)
    settings.intake.allowed_senders = ["bunnik.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    env.deliver(
        sample("mail-submission.eml").read_bytes()
    )  # from zeist.nl: not yet allowed
    env.run()
    assert len(env.folder(INKOOP, "Quarantaine")) == 1 and env.inbox(ZEIST_BA) == []
    pipeline.close()
    settings.intake.allowed_senders = ["bunnik.nl", "zeist.nl"]  # the fix
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env.pipeline = pipeline
    try:
        report = pipeline.reprocess()
        assert report.mails == 1 and report.cases == ["MW-2027-0001"]
        assert env.folder(INKOOP, "Quarantaine") == [] and len(env.inbox(ZEIST_BA)) == 1
    finally:
        pipeline.close()


def test_a_form_our_reader_fails_on_is_read_by_hand_and_the_other_form_of_the_mail_goes_on(
    env, monkeypatch, caplog
):
    """A bug in a reader is ours, not the form's: no refusal, no quarantine; ICM reads
    that form by hand, the sender is told so, and the second form of the same mail
    becomes its own case.
    """
    from email import policy
    from email.parser import BytesParser

    from pipeline.readers import record

    def broken(text):  # the shape of the crash seen on unseen forms: next(iter({}))
        if "BUG" in text:
            return next(iter({}))
        return original(text)

    original = record.READERS["tarief"]
    monkeypatch.setitem(record.READERS, "tarief", broken)
    form = Document(str(sample("legacy-table.docx")))
    for row in form.tables[0].rows:
        if row.cells[0].text.startswith("Welk tarief"):
            row.cells[1].paragraphs[-1].add_run(" BUG")
    buf = io.BytesIO()
    form.save(buf)
    raw = mail_with_form(REFERRER, "twee aanvragen", "eerste.docx", buf.getvalue())
    msg = BytesParser(policy=policy.SMTP).parsebytes(raw)
    msg.add_attachment(
        sample("template.docx").read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="tweede.docx",
    )
    env.deliver(msg.as_bytes())
    env.run()

    by_hand, _ = _case(env, "MW-2027-0001")
    assert by_hand.state == "ontvangen"
    assert any("handmatig" in e.what for e in by_hand.events)
    second, _ = _case(env, "MW-2027-0002")
    assert second.state == "advies_gevraagd"
    to_icm = [m for m in env.inbox(ICM) if "handmatig lezen" in str(m["Subject"])]
    assert len(to_icm) == 1 and attachment(to_icm[0], ".docx") == buf.getvalue()
    receipts = [m.get_body(("plain",)).get_content() for m in env.inbox(REFERRER)]
    assert any("kon niet automatisch worden gelezen" in r for r in receipts)
    assert not any("niet in behandeling" in r for r in receipts)  # nothing refused
    assert env.inbox(INKOOP) == [] and env.folder(INKOOP, "Quarantaine") == []
    logged = [
        r.getMessage()
        for r in caplog.records
        if "reading a form failed" in r.getMessage()
    ]
    assert logged and "StopIteration" in logged[0] and "test_flow.py" in logged[0]


def test_the_receipt_greets_the_referrer_by_name_without_labels_or_asides(env):
    form = Document(str(sample("legacy-table.docx")))
    row = next(
        r
        for r in form.tables[0].rows
        if r.cells[0].text.startswith("Wie moeten we bellen")
    )
    for p in row.cells[1].paragraphs[1:]:
        p._element.getparent().remove(p._element)
    row.cells[1].paragraphs[
        0
    ].text = "Mij: Els Bakker (jeugdconsulent) / 06-87654321 / e.bakker@zeist.nl"
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(
        mail_with_form("e.bakker@zeist.nl", "aanvraag", "aanvraag.docx", buf.getvalue())
    )
    env.run()
    [receipt] = env.inbox("e.bakker@zeist.nl")  # the sender, who is the form's contact
    body = receipt.get_body(("plain",)).get_content()
    assert body.splitlines()[0] == "Beste Els Bakker,"
