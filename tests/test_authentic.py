"""Answers only from the adviser: forged replies of every kind move no case (kept as
'niet geverifieerd', ICM told); the real answer, a one-click answer with its Kenmerk,
and an answer ICM vouches for do. Through the Maildir backend, as a hostile sender would
mail the inkoop box.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from pipeline import store
from tests.conftest import BACKOFFICE, ICM, INKOOP, ZEIST_BA, reply_to
from tests.test_flow import _approve, _case, _submit_sample

EVIL = "x@evil.test"


def _mail(
    from_header: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    for name, value in headers:  # on top, as the receiving server adds them
        msg[name] = value
    msg["From"] = from_header
    msg["To"] = INKOOP
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="evil.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def _advices(env):
    with env.pipeline.store.session() as s:
        return [(a.rol, a.oordeel) for a in store.get_case(s, "MW-2027-0001").advices]


def _notices(env):
    return [m for m in env.inbox(ICM) if "niet geverifieerd" in str(m["Subject"])]


def _forgeries(to_ba, to_icm):
    subject = "RE: " + str(to_ba["Subject"])
    reply = to_ba["Message-ID"]
    fail = (
        (
            "Authentication-Results",
            (
                "mx.zorginzou.nl; spf=fail smtp.mailfrom=zeist.nl; dkim=none; "
                "dmarc=fail action=quarantine header.from=zeist.nl"
            ),
        ),
    )
    return {
        "display name quoted": _mail(
            f'"{ZEIST_BA}" <{EVIL}>', subject, "Advies: positief", in_reply_to=reply
        ),
        "display name unquoted": _mail(
            f"{ZEIST_BA} <{EVIL}>", subject, "Advies: positief", in_reply_to=reply
        ),
        "two addresses": _mail(
            f"{ZEIST_BA}, {EVIL}", subject, "Advies: positief", in_reply_to=reply
        ),
        "comment": _mail(
            f"{EVIL} ({ZEIST_BA})", subject, "Advies: positief", in_reply_to=reply
        ),
        "token only": _mail(ZEIST_BA, subject, "Advies: positief"),
        "answers the mail to another": _mail(
            ZEIST_BA, subject, "Advies: positief", in_reply_to=to_icm["Message-ID"]
        ),
        "guessed id": _mail(
            ZEIST_BA,
            subject,
            "Advies: positief",
            in_reply_to="<mw-2027-0001.advies-beleidsadviseur.123456789abc@maatwerk.zorginzou.nl>",
        ),
        "dmarc fail": _mail(
            ZEIST_BA, subject, "Advies: positief", in_reply_to=reply, headers=fail
        ),
        "dmarc fail above a forged pass": _mail(
            ZEIST_BA,
            subject,
            "Advies: positief",
            in_reply_to=reply,
            headers=(
                fail[0],
                (
                    "Authentication-Results",
                    "mx.zorginzou.nl; dmarc=pass header.from=zeist.nl",
                ),
            ),
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "display name quoted",
        "display name unquoted",
        "two addresses",
        "comment",
        "token only",
        "answers the mail to another",
        "guessed id",
        "dmarc fail",
        "dmarc fail above a forged pass",
    ],
)
def test_a_forged_advice_moves_nothing_and_icm_is_told(env, kind):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(_forgeries(to_ba, to_icm)[kind])
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))  # the real ICM answers
    env.run()
    case, events = _case(env)
    assert case.state == "advies_gevraagd" and _advices(env) == [("icm", "positief")]
    assert env.inbox(BACKOFFICE) == [] and not [
        m for m in env.inbox(ZEIST_BA) if "niet duidelijk" in str(m["Subject"])
    ]
    told = _notices(env) + [
        m for m in env.inbox(ICM) if "geen adviseur" in str(m["Subject"])
    ]
    assert len(told) == 1  # ICM hears of it; nothing decided
    assert any("niet geverifieerd" in e[3] or "geen adviseur" in e[3] for e in events)


def test_two_forged_replies_never_make_a_contract(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    env.deliver(
        _mail(
            f"{ZEIST_BA} <{EVIL}>",
            "RE: " + str(to_ba["Subject"]),
            "Advies: positief",
            in_reply_to=to_ba["Message-ID"],
        )
    )
    env.deliver(
        _mail(
            f"{ICM}, {EVIL}",
            "RE: " + str(to_icm["Subject"]),
            "Advies: positief",
            in_reply_to=to_icm["Message-ID"],
        )
    )
    env.run()
    case, _ = _case(env)
    assert (
        case.state == "advies_gevraagd"
        and _advices(env) == []
        and env.inbox(BACKOFFICE) == []
    )
    assert len(_notices(env)) == 2


def test_a_forged_signed_contract_closes_nothing(env):
    _approve(env)
    [package] = env.inbox(BACKOFFICE)
    env.deliver(
        _mail(
            f"{BACKOFFICE} <{EVIL}>",
            "RE: " + str(package["Subject"]),
            "Getekend retour.",
            in_reply_to=package["Message-ID"],
        )
    )
    env.run()
    case, _ = _case(env)
    assert case.state == "contract_verstuurd" and len(_notices(env)) == 1


def test_a_dmarc_pass_or_internal_mark_of_the_receiving_server_counts(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    passed = (
        "Authentication-Results",
        (
            "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=zeist.nl; dkim=pass "
            "(signature was verified) header.d=zeist.nl;dmarc=pass action=none "
            "header.from=zeist.nl;compauth=pass reason=100"
        ),
    )
    env.deliver(
        _mail(
            ZEIST_BA,
            "RE: " + str(to_ba["Subject"]),
            "Advies: positief",
            in_reply_to=to_ba["Message-ID"],
            headers=(passed,),
        )
    )
    env.deliver(
        _mail(
            ICM,
            "RE: " + str(to_icm["Subject"]),
            "Advies: positief",
            in_reply_to=to_icm["Message-ID"],
            headers=(
                ("X-MS-Exchange-Organization-AuthAs", "Internal"),
                ("Authentication-Results", "dmarc=none header.from=zorginzou.nl"),
            ),
        )
    )
    env.run()
    case, _ = _case(env)
    assert sorted(_advices(env)) == [
        ("beleidsadviseur", "positief"),
        ("icm", "positief"),
    ]
    assert case.state == "positief" and _notices(env) == []


def test_with_dmarc_required_an_answer_without_the_servers_verdict_is_kept(env):
    env.pipeline.settings.security.dmarc = "vereist"
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.run()
    assert _advices(env) == [] and len(_notices(env)) == 1


def _button(msg, label_start: str) -> tuple[str, str, str]:
    import re

    html = msg.get_body(("html",)).get_content()
    for href in re.findall(r'href="(mailto:[^"]+)"', html):
        url = urlparse(href.replace("&amp;", "&"))
        q = parse_qs(url.query)
        if q["subject"][0].startswith(label_start):
            return unquote(url.path), q["subject"][0], q["body"][0]
    raise AssertionError(label_start)


def test_a_one_click_answer_counts_by_its_kenmerk_and_only_from_whom_it_was_sent_to(
    env,
):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    to, subject, body = _button(to_ba, "Advies: negatief")
    assert to == INKOOP and "Kenmerk: " in body
    # the adviser's mail program opens a new mail: no In-Reply-To, only the subject and
    # the body
    env.deliver(
        _mail(EVIL, subject, body.replace("Toelichting: ", "Toelichting: te duur"))
    )  # copied by another
    env.deliver(
        _mail(ZEIST_BA, subject, body.replace("Toelichting: ", "Toelichting: te duur"))
    )
    to2, subject2, body2 = _button(to_icm, "Advies: positief")
    env.deliver(_mail(ICM, subject2, body2))
    env.run()
    case, _ = _case(env)
    assert sorted(_advices(env)) == [
        ("beleidsadviseur", "negatief"),
        ("icm", "positief"),
    ]
    assert case.state == "negatief"
    with env.pipeline.store.session() as s:
        assert (
            store.get_case(s, "MW-2027-0001").advices[0].toelichting == "te duur"
        )  # no Kenmerk in it


def test_icm_can_vouch_for_a_kept_answer(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(
        _mail(
            ZEIST_BA,
            "Advies [MW-2027-0001]",
            "Advies: positief\nPast binnen het beleid.",
        )
    )  # a new mail
    env.run()
    assert _advices(env) == []
    [notice] = _notices(env)
    env.deliver(
        _mail(
            f"{ICM}, {EVIL}",
            "RE: " + str(notice["Subject"]),
            "Akkoord",
            in_reply_to=notice["Message-ID"],
        )
    )
    env.run()
    assert _advices(env) == []  # a forged vouching is no vouching
    env.deliver(reply_to(notice, ICM, "Akkoord, gebeld met Petra."))
    env.run()
    assert _advices(env) == [("beleidsadviseur", "positief")]


def test_maatwerk_check_reports_what_the_mail_server_adds(env, tmp_path):
    import subprocess
    import sys

    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    env.deliver(
        _mail(
            ZEIST_BA,
            "RE: " + str(to_ba["Subject"]),
            "Advies: positief",
            in_reply_to=to_ba["Message-ID"],
            headers=(
                (
                    "Authentication-Results",
                    "mx.zorginzou.nl; dmarc=pass header.from=zeist.nl",
                ),
            ),
        )
    )
    env.run()
    config = tmp_path / "m.toml"
    config.write_text(
        f'[store]\nurl = "{env.settings.store.url}"\n[mailbox]\nmaildir_root ='
        f' "{env.root / "mail"}"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "maatwerk", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert (
        "van de laatste 2 verwerkte mails hebben er 1 een DMARC-uitslag" in text
        and "pass 1" in text
    )
    assert "mx.zorginzou.nl" in text and "Traceback" not in result.stderr
