"""What Outlook and Exchange really send: winmail.dat (TNEF), attached Outlook items
(.msg), inline images, encoded and hostile file names. Real files from
../shared/outlook/."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from pipeline import store
from tests.conftest import INKOOP, ZEIST_BA, sample

OUTLOOK = Path(__file__).resolve().parent.parent.parent / "shared" / "outlook"
SENDER = "e.vandijk@zeist.nl"


def _outlook(name: str) -> bytes:
    path = OUTLOOK / name
    if not path.exists():
        pytest.skip(f"{name} not found (../shared/outlook)")
    return path.read_bytes()


def _mail(*parts: tuple[bytes, str, str, str]) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = SENDER, INKOOP, "aanvraag maatwerk"
    msg["Message-ID"] = make_msgid(domain="zeist.nl")
    msg.set_content("Zie bijlage.")
    for content, maintype, subtype, filename in parts:
        msg.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=filename
        )
    return msg.as_bytes()


@pytest.mark.parametrize(
    "name",
    ["two-files.tnef", "umlaut.tnef", "long-filename.tnef", "body.tnef", "rtf.tnef"],
)
def test_winmail_dat_without_a_form_gets_a_dutch_answer(env, name):
    env.deliver(_mail((_outlook(name), "application", "ms-tnef", "winmail.dat")))
    env.run()
    [answer] = env.inbox(SENDER)
    assert "Geen aanvraagformulier gevonden" in str(answer["Subject"])
    assert len(env.folder(INKOOP, "Quarantaine")) == 1


@pytest.mark.parametrize("name", ["unicode.msg", "strangeDate.msg"])
def test_an_attached_outlook_item_without_a_form_gets_a_dutch_answer(env, name):
    env.deliver(_mail((_outlook(name), "application", "vnd.ms-outlook", name)))
    env.run()
    [answer] = env.inbox(SENDER)
    assert "Geen aanvraagformulier gevonden" in str(answer["Subject"])


def test_a_form_beside_outlook_items_and_an_inline_image_becomes_one_case(env):
    docx = sample("legacy-table.docx").read_bytes()
    env.deliver(
        _mail(
            (_outlook("two-files.tnef"), "application", "ms-tnef", "winmail.dat"),
            (
                _outlook("unicode.msg"),
                "application",
                "vnd.ms-outlook",
                "doorgestuurd.msg",
            ),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image", "png", "image001.png"),
            (
                docx,
                "application",
                "vnd.openxmlformats-officedocument.wordprocessingml.document",
                "Aanvraag – Zeist.docx",
            ),
        )
    )
    env.run()
    with env.pipeline.store.session() as s:
        assert [c.id for c in store.open_cases(s)] == ["MW-2027-0001"]
    assert len(env.inbox(ZEIST_BA)) == 1


def test_a_hostile_attachment_name_is_only_a_name(env):
    env.deliver(
        _mail(
            (
                sample("legacy-table.docx").read_bytes(),
                "application",
                "octet-stream",
                "../../../../tmp/evil.docx",
            )
        )
    )
    env.run()
    assert not Path("/tmp/evil.docx").exists()
    assert not (env.root / "evil.docx").exists()
    assert len(env.inbox(ZEIST_BA)) == 1
    with env.pipeline.store.session() as s:
        case = store.get_case(s, "MW-2027-0001")
        assert (
            case.form_filename == "../../../../tmp/evil.docx"
        )  # kept as sent, as a name
        assert Path(case.register_dir).is_relative_to(env.root / "register")
