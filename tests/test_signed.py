"""Signed means signed (issue 13 point 6): which returned files count as the signed
contract.

Every PDF here is made from the contract the flow sends (LibreOffice's PDF/A of the
filled template): re-saved, signed in a field, inked in a reader, printed and scanned,
with a signature page or a pasted signature — and the cases a person must look at (Word,
damaged, encrypted, another document)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from pipeline.mail import MaildirPostOffice
from pipeline.signed import is_signed, read_confirmation
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    BACKOFFICE,
    ICM,
    INKOOP,
    THURSDAY,
    ZEIST_BA,
    Env,
    attachment,
    mail_with_form,
    make_settings,
    reply_to,
    sample,
)
from tests.signing import (
    encrypted,
    resaved,
    scanned,
    with_drawn_signature,
    with_empty_signature_field,
    with_ink,
    with_pasted_signature,
    with_signature_field,
    with_signature_page,
)
from tests.test_flow import REFERRER, _approve, _case, _give_provider_data


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, bytes]:
    """The contract package as the flow files it: {'pdf': …, 'docx': …,
    'leveranciersformulier': …}."""
    root = tmp_path_factory.mktemp("sent")
    settings = make_settings(root)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        env = Env(root, settings, MaildirPostOffice(root / "mail"), pipeline)
        _approve(env)
        folder = root / "register" / "2027" / "Zeist" / "MW-2027-0001"
        return {
            "pdf": (folder / "2027-03-11 contract MW-2027-0001.pdf").read_bytes(),
            "docx": (folder / "2027-03-11 contract MW-2027-0001.docx").read_bytes(),
            "leveranciersformulier": (
                (
                    folder / "2027-03-11 leveranciersformulier MW-2027-0001.pdf"
                ).read_bytes()
            ),
        }
    finally:
        pipeline.close()


# --- signed
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, why",
    [
        (with_signature_field, "handtekeningveld is digitaal ondertekend"),
        (with_ink, "handgeschreven aantekening op pagina 2"),
        (scanned, "het is een scan (alle pagina's zijn gescand)"),
        (with_drawn_signature, "op pagina 2 is met de hand getekend"),
        (with_pasted_signature, "op pagina 2 is een afbeelding toegevoegd"),
        (with_signature_page, "er is een pagina toegevoegd (3 in plaats van 2)"),
    ],
)
def test_a_contract_with_a_signature_counts_as_signed(sent, make, why):
    verdict = is_signed(make(sent["pdf"]), sent["pdf"])
    assert verdict.signed, verdict.reason
    assert why in verdict.reason


def test_a_signed_return_is_recognised_without_the_sent_pdf_too(sent):
    """Only the .docx went out (LibreOffice failed): the signature itself still shows."""
    for make in (with_signature_field, with_ink, scanned):
        assert is_signed(make(sent["pdf"]), None).signed


def test_a_scan_of_the_signed_contract_at_a_scanners_usual_resolution(sent):
    verdict = is_signed(scanned(sent["pdf"], dpi=200), sent["pdf"])
    assert verdict.signed and "gescand" in verdict.reason


# --- not signed: ICM is asked
# ---------------------------------------------------------------


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda pdf: pdf, "hetzelfde bestand als het verstuurde contract"),
        (resaved, "gelijk aan het verstuurde contract"),
        (with_empty_signature_field, "gelijk aan het verstuurde contract"),
    ],
)
def test_the_unsigned_contract_sent_back_is_not_signed(sent, make, why):
    returned = make(sent["pdf"])
    verdict = is_signed(returned, sent["pdf"])
    assert not verdict.signed and why in verdict.reason
    if make is resaved:
        assert returned != sent["pdf"]  # other bytes, same contract


def test_a_word_file_back_is_not_signed(sent):
    verdict = is_signed(sent["docx"], sent["pdf"])
    assert not verdict.signed and "Word-bestand" in verdict.reason


def test_another_document_is_not_taken_for_the_signed_contract(sent):
    verdict = is_signed(sent["leveranciersformulier"], sent["pdf"])
    assert (
        not verdict.signed
        and "komt niet overeen met het verstuurde contract" in verdict.reason
    )


@pytest.mark.parametrize(
    "returned, why",
    [
        (b"%PDF-1.4 getekend", "beschadigd"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 40, "beschadigd"),
        (b"\xff\xd8\xff\xe0 JFIF foto", "geen PDF-bestand"),
        (b"", "geen PDF-bestand"),
    ],
)
def test_a_damaged_or_other_file_is_not_certain_and_never_raises(sent, returned, why):
    verdict = is_signed(returned, sent["pdf"])
    assert not verdict.signed and why in verdict.reason


def test_an_encrypted_pdf_is_not_certain(sent):
    verdict = is_signed(encrypted(sent["pdf"]), sent["pdf"])
    assert not verdict.signed and "wachtwoord" in verdict.reason


def test_a_pdf_that_only_limits_editing_is_read_as_any_other(sent):
    """Signing tools often lock the signed file against changes: it opens without a
    password."""
    assert is_signed(
        encrypted(with_ink(sent["pdf"]), user_password=""), sent["pdf"]
    ).signed
    assert not is_signed(
        encrypted(resaved(sent["pdf"]), user_password=""), sent["pdf"]
    ).signed


def test_the_unsigned_contract_is_not_signed_without_a_sent_pdf_to_compare(sent):
    verdict = is_signed(resaved(sent["pdf"]), None)
    assert not verdict.signed and "geen verstuurde PDF" in verdict.reason


def test_a_truncated_or_garbled_pdf_gives_a_verdict_quickly(sent):
    data = with_ink(sent["pdf"])
    start = datetime.now()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 200):
        assert isinstance(is_signed(data[:cut], sent["pdf"]).reason, str)
    garbled = bytearray(data)
    garbled[len(data) // 2 : len(data) // 2 + 400] = bytes(400)
    assert isinstance(is_signed(bytes(garbled), sent["pdf"]).reason, str)
    assert (datetime.now() - start).total_seconds() < 10


def _text_pdf(lines: list[str], per_page: int, size: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i, line in enumerate(lines):
        if i and i % per_page == 0:
            c.showPage()
        c.setFont("Helvetica", size)
        c.drawString(72, 760 - (i % per_page) * (size + 6), line)
    c.save()
    return buf.getvalue()


def test_the_same_contract_exported_again_with_other_page_breaks_is_not_signed():
    """Opened in Word and saved as PDF again: the same words over three pages instead of
    two."""
    lines = [
        f"Artikel {n} – de aanbieder levert de zorg zoals in de aanvraag beschreven,"
        f" regel {n}."
        for n in range(1, 61)
    ]
    sent_pdf, again = (
        _text_pdf(lines, per_page=30, size=10),
        _text_pdf(lines, per_page=20, size=12),
    )
    verdict = is_signed(again, sent_pdf)
    assert not verdict.signed and "gelijk aan het verstuurde contract" in verdict.reason
    typed = _text_pdf(lines + ["Getekend: G. de Wit, 15-03-2027"], per_page=30, size=10)
    verdict = is_signed(typed, sent_pdf)
    assert (
        verdict.signed
        and "er is een pagina toegevoegd (3 in plaats van 2)" in verdict.reason
    )


@pytest.mark.parametrize(
    "answer, meaning",
    [
        ("getekend", True),
        ("Getekend, klopt.\n\nGroet, ICM", True),
        ("Akkoord", True),
        ("Ja, dit is het getekende contract.", True),
        ("niet getekend", False),
        ("Nee, niet getekend: de handtekening van de aanbieder ontbreekt.", False),
        ("Dit is niet het getekende contract", False),
        ("ongetekend", False),
        ("niet akkoord", False),
        ("Ik kijk er morgen naar.", None),
        ("", None),
        (
            "Getekend\n\nVan: inkoop@zorginzou.nl\n> antwoord met niet getekend",
            True,
        ),  # the quoted mail does not count
    ],
)
def test_icms_answer_to_the_check(answer, meaning):
    assert read_confirmation(answer) is meaning


# --- through the mailbox: what the backoffice, ICM, the referrer and the register show
# ------

REGISTER = ("register", "2027", "Zeist", "MW-2027-0001")


def _package(env, case_id="MW-2027-0001"):
    [package] = [
        m
        for m in env.inbox(BACKOFFICE)
        if f"[{case_id}] Maatwerkovereenkomst ter ondertekening" in str(m["Subject"])
    ]
    return package


def _contract_of(package) -> bytes:
    return attachment(package, "maatwerkovereenkomst MW-2027-0001.pdf")


def _check_mails(env):
    return [
        m
        for m in env.inbox(ICM)
        if "is dit het getekende contract?" in str(m["Subject"])
    ]


def _confirmations(env):
    return [
        m
        for m in env.inbox(BACKOFFICE)
        if "Getekende maatwerkovereenkomst ontvangen" in str(m["Subject"])
    ]


def _register_row(env, case_id="MW-2027-0001") -> dict[str, str]:
    with (env.root / "register" / "register.csv").open(
        encoding="utf-8-sig", newline=""
    ) as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return next(r for r in rows if r["zaak"] == case_id)


def _body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_the_unsigned_contract_mailed_back_is_not_signed_until_icm_confirms(env):
    _approve(env)
    package = _package(env)
    unsigned = _contract_of(package)
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "Hierbij de getekende overeenkomst.",
            attachments=[("getekend.pdf", unsigned)],
        )
    )
    env.run()

    case, events = _case(env)
    assert case.state == "contract_verstuurd" and case.getekend_op is None
    folder = env.root.joinpath(*REGISTER)
    assert (
        folder / "2027-03-11 retour contract (controle) MW-2027-0001.pdf"
    ).read_bytes() == unsigned
    assert not list(folder.glob("* getekend contract *"))
    assert (
        "niet zeker getekend (het is hetzelfde bestand als het verstuurde contract"
        in events[-1][3]
    )
    assert _register_row(env)["status"] == "verstuurd, nog niet getekend"
    assert _confirmations(env) == []
    [check] = _check_mails(env)
    assert str(check["To"]) == ICM and attachment(check, ".pdf") == unsigned
    text = _body(check)
    assert (
        BACKOFFICE in text and "hetzelfde bestand als het verstuurde contract" in text
    )
    assert '"getekend" als dit de getekende overeenkomst is' in text

    # ICM looks at it: the signatures are on paper it has seen → 'getekend' on the
    # thread
    env.deliver(
        reply_to(
            check,
            ICM,
            "Getekend, klopt. De aanbieder tekende op papier; dit is de"
            " kopie.\n\nGroet, ICM",
        )
    )
    env.run()
    case, events = _case(env)
    assert case.state == "getekend" and case.getekend_op.isoformat() == "2027-03-11"
    assert (
        "ICM (icm@zorginzou.nl) bevestigt dat het teruggestuurde contract getekend is"
        in events[-1][3]
    )
    assert (
        folder / "2027-03-11 getekend contract MW-2027-0001.pdf"
    ).read_bytes() == unsigned
    [confirmation] = _confirmations(env)
    text = _body(confirmation)
    assert (
        "ICM heeft bevestigd" in text and "loopt tot en met 30 september 2027" in text
    )
    assert (
        "2027/Zeist/MW-2027-0001/2027-03-11 getekend contract MW-2027-0001.pdf" in text
    )
    assert (
        "644475" not in text and "Esther" not in text
    )  # no client data in the confirmation
    row = _register_row(env)
    assert row["status"] == "getekend" and row["getekend op"] == "11-03-2027"


def test_icm_says_not_signed_then_the_scanned_signed_contract_closes_the_case(env):
    _approve(env)
    package = _package(env)
    env.deliver(
        reply_to(
            package,
            REFERRER,
            "Zie bijlage.",
            attachments=[("contract.pdf", resaved(_contract_of(package)))],
        )
    )
    env.run()
    [check] = _check_mails(env)
    assert "gelijk aan het verstuurde contract" in _body(check)
    env.deliver(
        reply_to(
            check, ICM, "Niet getekend: de handtekening van de aanbieder ontbreekt."
        )
    )
    env.run()
    case, events = _case(env)
    assert case.state == "contract_verstuurd"
    assert "het teruggestuurde contract is niet getekend" in events[-1][3]
    assert _confirmations(env) == []

    signed = scanned(_contract_of(package))
    env.deliver(
        reply_to(
            package, REFERRER, "Nu wel getekend.", attachments=[("scan.pdf", signed)]
        )
    )
    env.run()
    case, events = _case(env)
    assert case.state == "getekend"
    assert "het is een scan" in events[-1][3]
    assert len(_check_mails(env)) == 1  # no second question to ICM
    assert len(_confirmations(env)) == 1
    folder = env.root.joinpath(*REGISTER)
    assert (
        folder / "2027-03-11 getekend contract MW-2027-0001.pdf"
    ).read_bytes() == signed


@pytest.mark.parametrize(
    "make, why",
    [
        (scanned, "het is een scan"),
        (with_ink, "handgeschreven aantekening"),
        (with_signature_field, "digitaal ondertekend"),
    ],
)
def test_a_signed_contract_closes_the_case_at_once_and_the_backoffice_is_told(
    env, make, why
):
    _approve(env)
    package = _package(env)
    signed = make(_contract_of(package))
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "Getekend retour.",
            attachments=[("getekend.pdf", signed)],
        )
    )
    env.run()
    case, events = _case(env)
    assert case.state == "getekend" and why in events[-1][3]
    assert _check_mails(env) == []
    [confirmation] = _confirmations(env)
    assert "ICM heeft bevestigd" not in _body(confirmation)
    assert str(confirmation["To"]) == BACKOFFICE
    assert confirmation["In-Reply-To"]  # on the case's thread
    assert _register_row(env)["status"] == "getekend"


def test_a_word_file_back_is_checked_by_icm_and_an_unclear_answer_is_asked_again(env):
    _approve(env)
    package = _package(env)
    word = attachment(package, "maatwerkovereenkomst MW-2027-0001.docx")
    env.deliver(
        reply_to(
            package, BACKOFFICE, "Getekend.", attachments=[("contract.docx", word)]
        )
    )
    env.run()
    folder = env.root.joinpath(*REGISTER)
    assert (
        folder / "2027-03-11 retour contract (controle) MW-2027-0001.docx"
    ).read_bytes() == word
    [check] = _check_mails(env)
    assert "Word-bestand" in _body(check) and attachment(check, ".docx") == word
    env.deliver(reply_to(check, ICM, "Ik kijk er morgen naar."))
    env.run()
    case, events = _case(env)
    assert (
        case.state == "contract_verstuurd"
        and "niet eenduidig; opnieuw gevraagd" in events[-1][3]
    )
    assert len(_check_mails(env)) == 2
    [again] = [m for m in _check_mails(env) if "nog een keer de vraag" in _body(m)]
    assert again["In-Reply-To"] and str(again["To"]) == ICM
    assert attachment(again, ".docx") == word
    env.deliver(reply_to(again, ICM, "akkoord"))
    env.run()
    case, _ = _case(env)
    assert case.state == "getekend"
    assert (
        folder / "2027-03-11 getekend contract MW-2027-0001.docx"
    ).read_bytes() == word


def test_icms_answer_in_a_new_mail_counts_only_once_icm_confirms_it_on_the_notice(env):
    _approve(env)
    package = _package(env)
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "Retour.",
            attachments=[("c.pdf", _contract_of(package))],
        )
    )
    env.run()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        ICM,
        INKOOP,
        "Contract MW-2027-0001 [MW-2027-0001]",
    )
    msg["Message-ID"] = make_msgid(domain="zorginzou.nl")
    msg.set_content("Getekend; de handtekeningen zijn gecontroleerd.")
    env.deliver(msg.as_bytes())
    env.run()
    case, _ = _case(env)
    assert (
        case.state == "contract_verstuurd"
    )  # a new mail answers no mail of ours: not verified
    [notice] = [m for m in env.inbox(ICM) if "niet geverifieerd" in str(m["Subject"])]
    env.deliver(reply_to(notice, ICM, "Akkoord"))
    env.run()
    case, _ = _case(env)
    assert case.state == "getekend"


def test_a_contract_not_back_in_ten_working_days_gets_one_reminder_on_a_working_day(
    env,
):
    """Sent Thursday 11 March 2027: ten working days end on Thursday 25 March. Goede
    Vrijdag, the weekend and Paasmaandag are no working days: the reminder goes on
    Tuesday 30 March.
    """
    from watchers.run import run_once

    _approve(env)
    for moment in (
        datetime(2027, 3, 25, 16, 0, tzinfo=UTC),  # the last day: not late yet
        datetime(2027, 3, 26, 9, 0, tzinfo=UTC),  # Goede Vrijdag
        datetime(2027, 3, 29, 9, 0, tzinfo=UTC),  # Paasmaandag
        datetime(2027, 3, 30, 6, 30, tzinfo=UTC),
    ):  # Tuesday 08:30: before reminder time
        env.pipeline.clock = lambda moment=moment: moment
        assert env.pipeline.send_contract_reminders() == 0, moment
    env.pipeline.clock = lambda: datetime(
        2027, 3, 30, 7, 30, tzinfo=UTC
    )  # Tuesday 09:30
    run_once(env.pipeline)  # the scheduled work of `maatwerk run`
    assert env.pipeline.send_contract_reminders() == 0  # once
    [reminder] = [
        m
        for m in env.inbox(REFERRER)
        if "getekende contract is nog niet terug" in str(m["Subject"])
    ]
    assert str(reminder["To"]) == REFERRER and ICM in str(reminder["Cc"])
    text = _body(reminder)
    assert (
        "Op donderdag 11 maart 2027 is de maatwerkovereenkomst MW-2027-0001" in text
        and "10 werkdagen" in text
    )
    assert [
        m for m in env.inbox(ICM) if "nog niet terug" in str(m["Subject"])
    ]  # the cc
    _, events = _case(env)
    assert (
        "Getekend contract na 10 werkdagen nog niet terug; herinnering verstuurd aan"
        " e.vandijk@zeist.nl" in events[-1][3]
    )


def test_a_signed_contract_gets_no_reminder_and_the_working_days_are_a_setting(
    tmp_path,
):
    settings = make_settings(tmp_path).model_copy(deep=True)
    settings.advice.contract_retour_werkdagen = 3
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        _approve(env)
        env.pipeline.clock = lambda: datetime(
            2027, 3, 17, 8, 0, tzinfo=UTC
        )  # Wednesday: 3 days ended
        assert env.pipeline.send_contract_reminders() == 1
        package = _package(env)
        env.deliver(
            reply_to(
                package,
                BACKOFFICE,
                "Getekend.",
                attachments=[("s.pdf", scanned(_contract_of(package)))],
            )
        )
        env.run()
        env.pipeline.clock = lambda: datetime(2027, 5, 17, 8, 0, tzinfo=UTC)
        assert env.pipeline.send_contract_reminders() == 0
    finally:
        pipeline.close()


def _other_provider() -> bytes:
    """The legacy sample, for another provider: a second request of the same gemeente."""
    from docx import Document

    form = Document(str(sample("legacy-table.docx")))
    row = next(
        r for r in form.tables[0].rows if r.cells[0].text.startswith("Welke aanbieder")
    )
    row.cells[1].paragraphs[0].runs[
        0
    ].text = "Zorgboerderij De Linde, contactpersoon Ruud, 0343 266910"
    buf = io.BytesIO()
    form.save(buf)
    return buf.getvalue()


def test_register_and_expiry_report_show_sent_apart_from_signed(env):
    from openpyxl import load_workbook

    _approve(env)  # MW-2027-0001, contract 1 April – 30 September 2027
    env.deliver(
        mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", _other_provider())
    )
    env.run()
    for adviser in (ZEIST_BA, ICM):
        [ask] = [m for m in env.inbox(adviser) if "[MW-2027-0002]" in str(m["Subject"])]
        env.deliver(reply_to(ask, adviser, "Advies: positief"))
    env.run()
    _give_provider_data(env)
    package = _package(env)
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "Getekend.",
            attachments=[("s.pdf", scanned(_contract_of(package)))],
        )
    )
    env.run()
    _package(env, "MW-2027-0002")  # sent, not back

    ws = load_workbook(env.root / "register" / "register.xlsx").active
    status = {r[0]: r[7] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert status == {
        "MW-2027-0001": "getekend",
        "MW-2027-0002": "verstuurd, nog niet getekend",
    }
    assert (
        _register_row(env, "MW-2027-0002")["status"] == "verstuurd, nog niet getekend"
    )

    env.pipeline.clock = lambda: datetime(2027, 8, 9, 7, 30, tzinfo=UTC)  # Monday 09:30
    assert env.pipeline.scheduled_reports() == 1
    [report] = [
        m for m in env.inbox(ZEIST_BA) if "binnenkort aflopen" in str(m["Subject"])
    ]
    signed, _, unsigned = _body(report).partition("Verstuurd, nog niet getekend")
    assert (
        "Getekend:" in signed
        and "MW-2027-0001" in signed
        and "MW-2027-0002" not in signed
    )
    assert "MW-2027-0002" in unsigned and "MW-2027-0001" not in unsigned
    assert "de getekende overeenkomst is nog niet terug" in unsigned
