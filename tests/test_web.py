"""`maatwerk web` as its users meet it, over HTTP: signed in through a real OpenID
Connect provider on loopback (npm oidc-provider, tests/oidcserver.py), on a store the
product made from mails (tests/webregion.py), on SQLite and — with
MAATWERK_TEST_STORE=postgres — PostgreSQL. Every role sees what it may and nothing
else; every case view is in the inzage log; forms are protected and values are text.
The same pages in Chromium, with axe-core: tests/test_web_browser.py."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from html import unescape
from io import BytesIO
from urllib.parse import unquote

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import func, select
from starlette.testclient import TestClient

from pipeline import store
from pipeline.errors import ExitCode, StoreUnavailable
from pipeline.reports.case import inzage_log
from pipeline.store.schema import AuditEvent, Case, OutboxMail
from tests.conftest import ICM
from tests.oidcserver import login_with_requests
from tests.webregion import (
    HOSTILE_PROVIDER,
    HOSTILE_REASON,
    NO_FORM_SUBJECTS,
    SCRIPT,
    free_port,
    region_served,
)

CLIENT = "Esther van Dijk"  # the contactpersoon of the sample form (a name)
ZORGNED = "644475"  # the sample client's ZorgNed number


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with region_served(tmp_path_factory.mktemp("regio")) as served:
        yield served


def signed_in(web, login: str) -> requests.Session:
    s = requests.Session()
    r = login_with_requests(s, f"{web.url}/aanmelden/start", login)
    assert r.status_code == 200, r.text
    return s


def text(r: requests.Response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", r.text))


def csrf(r: requests.Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)


def opened(s: requests.Session, web, case_id: str, reden="advies"):
    first = s.get(f"{web.url}/zaak/{case_id}")
    if 'name="reden"' in first.text:
        s.post(
            f"{web.url}/zaak/{case_id}/reden",
            data={"csrf": csrf(first), "reden": reden},
        )
    return s.get(f"{web.url}/zaak/{case_id}")


def test_icm_signs_in_and_the_overdue_case_comes_first_and_marked(web):
    s = signed_in(web, "icm")
    r = s.get(web.url + "/")
    assert r.status_code == 200 and "Werkvoorraad" in r.text
    rows = re.findall(
        r'<tr class="utrecht-table__row( mw-te-laat)?">\s*<th[^>]*>'
        r"<a[^>]*>(MW-[\d-]+)</a>",
        r.text,
    )
    assert [(bool(late), case) for late, case in rows] == [
        (True, "MW-2027-0002"),
        (False, "MW-2027-0004"),  # in time
        (False, "MW-2027-0001"),  # no advice owed: waits for the signed contract
    ]
    assert "te laat" in text(r) and "1 over de adviestermijn" in text(r)
    # the refused request (MW-2027-0003) is closed: not in the work list
    assert "MW-2027-0003" not in r.text


def test_the_filters_narrow_the_list(web):
    s = signed_in(web, "icm")
    only = s.get(web.url + "/", params={"gemeente": "Utrechtse Heuvelrug"})
    assert re.findall(r">(MW-2027-\d+)</a>", only.text) == ["MW-2027-0004"]
    assert "MW-2027-0004" not in s.get(web.url + "/", params={"spoed": "crisis"}).text
    asked = s.get(web.url + "/", params={"status": "advies_gevraagd"})
    assert re.findall(r">(MW-2027-\d+)</a>", asked.text) == [
        "MW-2027-0002",
        "MW-2027-0004",
    ]
    # ICM owes an advice on the two asked cases, not on the contract case
    mine = s.get(web.url + "/", params={"mijn": "ja"})
    assert re.findall(r">(MW-2027-\d+)</a>", mine.text) == [
        "MW-2027-0002",
        "MW-2027-0004",
    ]


def test_a_case_asks_why_first_then_shows_everything_and_the_view_is_logged(web):
    s = signed_in(web, "icm")
    first = s.get(f"{web.url}/zaak/MW-2027-0001")
    assert first.status_code == 200 and 'name="reden"' in first.text
    assert CLIENT not in first.text and "Sterk Thuis" not in first.text
    # without this session's token nothing is taken
    forged = s.post(
        f"{web.url}/zaak/MW-2027-0001/reden", data={"csrf": "x", "reden": "advies"}
    )
    assert forged.status_code == 403
    assert 'name="reden"' in s.get(f"{web.url}/zaak/MW-2027-0001").text
    page = opened(s, web, "MW-2027-0001", reden="contractbeheer")
    shown = text(page)
    for part in (
        "Gegevens zoals gelezen",
        CLIENT,
        "Begeleidingspraktijk Sterk Thuis",
        "Past in het beleid.",
        "Adviezen",
        "Mails",
        "Geschiedenis",
        "maatwerkovereenkomst",
        "contract MW-2027-0001.pdf",
    ):
        assert part in shown, part
    with web_store(web) as st, st.session() as db:
        log = [r for r in inzage_log(db, "MW-2027-0001") if r.bron == "maatwerk web"]
    assert [(r.wie, r.actie, r.reden) for r in log][-1:] == [
        (ICM, "bekeken", "contractbeheer")
    ]


def test_a_document_downloads_and_the_download_is_logged(web):
    s = signed_in(web, "icm")
    page = opened(s, web, "MW-2027-0001")
    [href] = re.findall(
        r'href="(/zaak/MW-2027-0001/document/\d+)"[^>]*>[^<]*'
        r"contract MW-2027-0001\.pdf<",
        page.text,
    )
    r = s.get(web.url + href)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert "contract MW-2027-0001.pdf" in unquote(r.headers["content-disposition"])
    with web_store(web) as st, st.session() as db:
        assert inzage_log(db, "MW-2027-0001")[-1].actie == "gedownload"


def test_a_beleidsadviseur_sees_only_their_gemeente_and_another_is_refused(web):
    s = signed_in(web, "zeist")
    listed = s.get(web.url + "/")
    assert re.findall(r">(MW-2027-\d+)</a>", listed.text) == [
        "MW-2027-0002",
        "MW-2027-0001",
    ]
    for case_id in ("MW-2027-0004", "MW-2027-0999"):  # other gemeente; none at all
        r = s.get(f"{web.url}/zaak/{case_id}")
        assert r.status_code == 403 and "Geen toegang" in r.text
        assert "Heuvelrug" not in r.text and "aanvraagformulier" not in r.text
        assert s.get(f"{web.url}/zaak/{case_id}/document/1").status_code in (303, 403)
    assert s.get(web.url + "/quarantaine").status_code == 403
    assert "Heuvelrug" not in s.get(web.url + "/register").text
    assert opened(s, web, "MW-2027-0002").status_code == 200


def test_the_backoffice_sees_contracts_and_bijlage_2_only(web):
    s = signed_in(web, "backoffice")
    assert s.get(web.url + "/").status_code == 403
    assert s.get(web.url + "/monitoring").status_code == 403
    assert s.get(web.url + "/quarantaine").status_code == 403
    register = s.get(web.url + "/register")
    assert "MW-2027-0001" in register.text
    assert s.get(f"{web.url}/zaak/MW-2027-0002").status_code == 403  # no contract
    page = opened(s, web, "MW-2027-0001", reden="contractbeheer")
    names = re.findall(r"\d{4}-\d\d-\d\d [^<]+ MW-2027-0001[^<]*", page.text)
    assert names and all(
        re.search(r" (contract|leveranciersformulier) MW", n) for n in names
    )
    assert CLIENT not in page.text and "Adviezen" not in page.text


def test_hostile_values_show_literally(web):
    s = signed_in(web, "icm")
    page = opened(s, web, "MW-2027-0002")
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    shown = text(page)
    assert HOSTILE_REASON in shown and HOSTILE_PROVIDER in shown
    assert "49" not in shown.split("{{ 7*7 }}")[0][-20:]


def test_sign_in_refused_or_without_a_role_opens_nothing(web):
    s = requests.Session()
    refused = login_with_requests(s, f"{web.url}/aanmelden/start", "icm", refuse=True)
    assert refused.status_code == 401 and "geweigerd" in refused.text
    assert s.get(web.url + "/").status_code == 401
    stranger = requests.Session()
    r = login_with_requests(stranger, f"{web.url}/aanmelden/start", "vreemde")
    assert r.status_code == 403 and "geen rol" in r.text
    assert stranger.get(web.url + "/").status_code == 401


def test_a_session_ends_after_its_minutes(web):
    s = signed_in(web, "icm")
    assert s.get(web.url + "/").status_code == 200
    start = web.now[0]
    try:
        web.now[0] = start + timedelta(minutes=61)
        r = s.get(web.url + "/")
        assert r.status_code == 401 and "sessie is verlopen" in r.text
        web.now[0] = start
        assert s.get(web.url + "/").status_code == 401  # ended means ended
    finally:
        web.now[0] = start


def test_the_cookie_and_headers_are_as_for_special_category_data(web):
    s = requests.Session()
    r = login_with_requests(s, f"{web.url}/aanmelden/start", "icm")
    page = s.get(web.url + "/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    cookies = [c for c in r.history + [r] if "set-cookie" in c.headers]
    flags = cookies[-1].headers["set-cookie"].lower()
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain http on loopback; behind TLS: test below


def test_behind_tls_the_cookie_is_secure(web):
    from web import create_app

    settings = web.settings.model_copy(
        update={
            "web": web.settings.web.model_copy(update={"base_url": "https://m.test"})
        }
    )
    with TestClient(create_app(settings), base_url="https://m.test") as client:
        r = client.get("/aanmelden/start", follow_redirects=False)
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_no_personal_data_in_addresses_or_the_access_log(web, caplog):
    s = signed_in(web, "icm")
    caplog.set_level(logging.INFO, logger="maatwerk.web.toegang")
    pages = [s.get(web.url + p) for p in ("/", "/register", "/aflopend", "/monitoring")]
    pages.append(opened(s, web, "MW-2027-0001"))
    page = s.get(web.url + "/register")
    s.post(web.url + "/register", data={"csrf": csrf(page), "zoek": CLIENT})
    s.get(f"{web.url}/zaak/{ZORGNED}")  # a number typed into the address
    links = {h for p in pages for h in re.findall(r'(?:href|action)="([^"]+)"', p.text)}
    assert links and not [h for h in links if CLIENT in h or ZORGNED in h]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /register 200" in logged
    assert CLIENT not in logged and ZORGNED not in logged and "Dijk" not in logged


def test_register_search_aflopend_and_monitoring(web):
    s = signed_in(web, "icm")
    page = s.get(web.url + "/register")
    assert "MW-2027-0001" in page.text and "nee (verstuurd, nog niet getekend)" in text(
        page
    )
    found = s.post(web.url + "/register", data={"csrf": csrf(page), "zoek": "sterk"})
    assert "MW-2027-0001" in found.text
    none = s.post(web.url + "/register", data={"csrf": csrf(page), "zoek": "xyz"})
    assert "Geen contracten gevonden" in none.text
    assert s.post(web.url + "/register", data={"zoek": "sterk"}).status_code == 403
    # the contract ends 30 September 2027: 29 weeks after the pages' today
    assert "MW-2027-0001" not in s.get(web.url + "/aflopend?weken=8").text
    assert "MW-2027-0001" in s.get(web.url + "/aflopend?weken=30").text
    mon = s.get(web.url + "/monitoring?jaar=2027")
    assert mon.text.count('<svg class="mw-chart__svg"') == 3 and "Zeist" in mon.text
    xlsx = s.get(web.url + "/monitoring.xlsx?jaar=2027")
    assert "Zeist" in {
        c.value
        for row in load_workbook(BytesIO(xlsx.content)).worksheets[0].iter_rows()
        for c in row
    }


def test_quarantine_release_is_done_once_and_logged_with_the_login(web):
    s = signed_in(web, "icm")
    page = s.get(web.url + "/quarantaine")
    assert all(subject in page.text for subject in NO_FORM_SUBJECTS)
    token = re.search(
        rf"{NO_FORM_SUBJECTS[0]}.*?name=\"mail\" value=\"(\w+)\"", page.text, re.S
    ).group(1)
    form = {"mail": token, "actie": "vrijgeven", "reden": "zelf beantwoord"}
    assert s.post(web.url + "/quarantaine", data=form).status_code == 403  # no token
    assert NO_FORM_SUBJECTS[0] in s.get(web.url + "/quarantaine").text
    done = s.post(web.url + "/quarantaine", data={**form, "csrf": csrf(page)})
    assert done.status_code == 200 and "Mail vrijgegeven." in done.text
    assert NO_FORM_SUBJECTS[0] not in done.text.split("Logboek")[0]
    assert "zelf beantwoord" in done.text and ICM in done.text.split("Logboek")[1]
    again = s.post(web.url + "/quarantaine", data={**form, "csrf": csrf(page)})
    assert "staat niet meer in Quarantaine" in again.text


def test_the_pages_write_nothing_but_the_inzage_log(web):
    def counts():
        with web_store(web) as st, st.session() as db:
            return (
                db.scalar(select(func.count()).select_from(AuditEvent)),
                db.scalar(select(func.count()).select_from(OutboxMail)),
                db.scalar(select(func.max(Case.updated_at))),
            )

    before = counts()
    s = signed_in(web, "icm")
    for path in ("/", "/register", "/aflopend", "/monitoring"):
        s.get(web.url + path)
    for case_id in ("MW-2027-0001", "MW-2027-0002", "MW-2027-0004"):
        opened(s, web, case_id)
    assert counts() == before


def web_store(web):
    from contextlib import closing

    return closing(store.open_store(web.settings.store, create=False))


def _maatwerk_web(cwd, config: str, *args: str, env: dict[str, str] | None = None):
    (cwd / "maatwerk.toml").write_text(config, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "maatwerk", "web", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_maatwerk_web_says_in_dutch_what_it_lacks(tmp_path):
    lacks = _maatwerk_web(tmp_path, "")
    out, err = lacks.communicate(timeout=60)
    assert lacks.returncode == ExitCode.config and "[web] issuer en client_id" in err
    config = '[web]\nissuer = "https://login.example.nl/t/v2.0"\nclient_id = "app"\n'
    no_secret = _maatwerk_web(tmp_path, config, env={"MAATWERK_OIDC_SECRET": ""})
    out, err = no_secret.communicate(timeout=60)
    assert no_secret.returncode == ExitCode.config and "MAATWERK_OIDC_SECRET" in err
    no_store = _maatwerk_web(tmp_path, config, env={"MAATWERK_OIDC_SECRET": "s"})
    out, err = no_store.communicate(timeout=60)
    assert no_store.returncode == ExitCode.not_found and "maatwerk.db" in err
    assert "Traceback" not in err


def test_maatwerk_web_serves_the_store_and_a_taken_port_is_told(web, tmp_path):
    port = free_port()
    config = (
        f'[store]\nurl = "{web.settings.store.url}"\n[web]\nissuer = "{web.settings.web.issuer}"\n'
        f'client_id = "{web.settings.web.client_id}"\nport = {port}\n'
    )
    secret = {"MAATWERK_OIDC_SECRET": "s"}
    served = _maatwerk_web(tmp_path, config, env=secret)
    try:
        r = None
        for _ in range(150):
            try:
                r = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert r is not None and r.status_code == 401 and "Aanmelden" in r.text
        taken = _maatwerk_web(tmp_path, config, env=secret)
        out, err = taken.communicate(timeout=60)
        assert taken.returncode == ExitCode.error
        assert f"Kan niet luisteren op 127.0.0.1:{port}" in err and "in gebruik" in err
    finally:
        served.send_signal(signal.SIGTERM)
        out, err = served.communicate(timeout=30)
    assert f"Webpagina's op http://127.0.0.1:{port}" in out
    assert "GET / 401" in err and "Traceback" not in err


def test_a_failure_is_a_dutch_page_and_its_text_stays_out_of_the_log(
    web, monkeypatch, caplog
):
    s = signed_in(web, "icm")
    caplog.set_level(logging.INFO)

    def unexpected(*args):
        raise ValueError(f"BSN 123456782 van {CLIENT}")

    monkeypatch.setattr("web.pages.case_row", unexpected)
    r = s.get(web.url + "/")
    assert r.status_code == 500 and "Er ging iets mis" in r.text
    assert "123456782" not in r.text and CLIENT not in r.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and "123456782" not in logged and CLIENT not in logged

    def away(*args):
        raise StoreUnavailable("De database antwoordt niet; de pagina's wachten erop.")

    monkeypatch.setattr("web.pages.case_row", away)
    r = s.get(web.url + "/")
    assert r.status_code == 503 and "De database antwoordt niet" in r.text


def test_a_provider_that_does_not_answer_is_said_in_dutch(web, monkeypatch):
    from web import create_app

    settings = web.settings.model_copy(
        update={
            "web": web.settings.web.model_copy(
                update={"issuer": f"http://127.0.0.1:{free_port()}"}
            )
        }
    )
    monkeypatch.setenv(settings.web.secret_env, "geheim")
    with TestClient(create_app(settings)) as client:
        r = client.get("/aanmelden/start", follow_redirects=False)
    assert r.status_code == 503
    assert (
        "De aanmeldserver (http://127.0.0.1:" in r.text and "antwoordt niet" in r.text
    )
