"""A region's store for the web tests, made the way the product makes one — mails in,
advisers answering, a contract sent — and `maatwerk web` on it, signed in through a
real OpenID Connect provider (tests/oidcserver.py):

- MW-2027-0001 (Zeist): approved, contract and Bijlage 2 sent, not signed yet;
- MW-2027-0002 (Zeist): a hostile-but-valid form (markup, template syntax and a
  formula in its answers), advisers asked, past its deadline;
- MW-2027-0003 (Zeist): refused (closed: not in the Werkvoorraad);
- MW-2027-0004 (Utrechtse Heuvelrug): advisers asked two weeks later, still in time;
- two mails without a form in Quarantaine.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from docx import Document

from pipeline.config import Settings
from pipeline.mail import MaildirPostOffice
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    BACKOFFICE,
    ICM,
    THURSDAY,
    ZEIST_BA,
    Env,
    mail_with_form,
    make_settings,
    reply_to,
    sample,
)

REFERRER = "e.vandijk@zeist.nl"
SCRIPT = "<script>alert(1)</script>"
HOSTILE_PROVIDER = "R&D <b>Zorg</b> {{ 7*7 }}"
HOSTILE_REASON = f'{SCRIPT} =HYPERLINK("https://evil.test","klik") {{{{ 7*7 }}}}'
# the moment the pages are looked at: MW-2027-0002's deadline (18 March) has passed,
# MW-2027-0004's (1 April) not
LOOKED_AT = THURSDAY + timedelta(days=15)
ACCOUNTS = {
    "icm": {"email": ICM, "name": "Ina ICM", "groups": ["icm-team"]},
    "zeist": {"email": ZEIST_BA, "name": "Petra Smit", "groups": []},
    "backoffice": {"email": BACKOFFICE, "name": "Bert Backoffice", "groups": []},
    "vreemde": {"email": "iemand@elders.nl", "name": "Iemand Anders", "groups": []},
}
NO_FORM_SUBJECTS = ("Vraag over mijn aanvraag", "Nog een vraag zonder bijlage")


def _hostile_form() -> bytes:
    form = Document(str(sample("legacy-table.docx")))
    for row in form.tables[0].rows:
        question, answer = row.cells[0].text, row.cells[1]
        if question.startswith("Welke aanbieder"):
            text = f"{HOSTILE_PROVIDER}, contactpersoon Ruud, 0343 266910"
        elif question.startswith("Wat zijn de redenen"):
            text = HOSTILE_REASON
        else:
            continue
        for p in answer.paragraphs[1:]:
            p.text = ""
        answer.paragraphs[0].text = text
    buf = io.BytesIO()
    form.save(buf)
    return buf.getvalue()


def build(root: Path) -> Settings:
    """The store, register and mailbox of the module docstring under `root`."""
    settings = make_settings(root)
    now = [THURSDAY]
    pipeline = Pipeline(settings, clock=lambda: now[0])
    env = Env(root, settings, MaildirPostOffice(root / "mail"), pipeline)
    try:
        env.deliver(sample("mail-submission.eml").read_bytes())
        env.run()
        [receipt] = [m for m in env.inbox(REFERRER) if "ontvangen" in str(m["Subject"])]
        env.deliver(
            reply_to(
                receipt,
                REFERRER,
                "Adres: Stationsweg 12, 3701 AB Zeist\nTenaamstelling:"
                " Begeleidingspraktijk Sterk Thuis",
            )
        )
        env.run()
        [to_ba] = env.inbox(ZEIST_BA)
        [to_icm] = env.inbox(ICM)
        env.deliver(
            reply_to(to_ba, ZEIST_BA, "Advies: positief\n\nPast in het beleid.")
        )
        env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
        env.run()
        env.deliver(
            mail_with_form(REFERRER, "aanvraag", "aanvraag.docx", _hostile_form())
        )
        env.run()
        env.deliver(
            mail_with_form(
                REFERRER,
                "aanvraag",
                "aanvraag.docx",
                sample("legacy-invalid-jeugdwet.docx").read_bytes(),
            )
        )
        for subject in NO_FORM_SUBJECTS:
            env.deliver(mail_with_form(REFERRER, subject, "", b"", body="Hallo"))
        env.run()
        now[0] = THURSDAY + timedelta(days=14)
        env.deliver(
            mail_with_form(
                "j.jansen@heuvelrug.nl",
                "aanvraag",
                "aanvraag.docx",
                sample("template.docx").read_bytes(),
            ),
            at=now[0],
        )
        env.run()
    finally:
        pipeline.close()
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    settings: Settings
    now: list[datetime]  # the pages' clock; a test may move it


@contextmanager
def serve(settings: Settings, port: int) -> Iterator[Served]:
    """`maatwerk web` (its app, in uvicorn) on 127.0.0.1:`port`, clock at LOOKED_AT."""
    from web import create_app

    now = [LOOKED_AT]
    app = create_app(settings, clock=lambda: now[0])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("maatwerk web did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", settings, now)
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def region_served(root: Path) -> Iterator[Served]:
    """The region of `build` under `root`, served, signing in at a real provider with
    ACCOUNTS: ICM by group, the backoffice and Zeist's beleidsadviseur by address
    (written in capitals: addresses match whatever their case)."""
    from tests.oidcserver import OidcProvider

    settings = build(root)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with OidcProvider([f"{base}/aanmelden/terug"], ACCOUNTS) as provider:
        settings.web = settings.web.model_copy(
            update={
                "base_url": base,
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "icm": ["groep:icm-team"],
                "backoffice": [BACKOFFICE],
                "beleidsadviseurs": {"Zeist": [ZEIST_BA.upper()]},
                "session_minutes": 60.0,
            }
        )
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(settings.web.secret_env, provider.client_secret)
            with serve(settings, port) as served:
                yield served
