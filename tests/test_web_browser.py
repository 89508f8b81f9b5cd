"""`maatwerk web` in a real browser (Debian's Chromium, driven by selenium) as ICM, a
beleidsadviseur and the backoffice use it: signing in at the OpenID Connect provider,
the overdue case standing out, opening a case, downloading its contract, releasing a
quarantined mail, a forbidden case refused — and every page checked by axe-core for
WCAG 2.1 A/AA. Screenshots are kept in tests/artefacts/screenshots/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import axe_violations, chromium, screenshot
from tests.webregion import NO_FORM_SUBJECTS, region_served


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with region_served(tmp_path_factory.mktemp("regio")) as served:
        yield served


def follow(driver: WebDriver, by: str, what: str) -> None:
    """Click what leads to another page, and wait until that page is there. Found
    afresh for each try: ChromeDriver may lose an element's node between finding and
    clicking it ("does not belong to the document") while the page settles."""
    for attempt in range(3):
        old = driver.find_element(By.TAG_NAME, "html")
        try:
            driver.find_element(by, what).click()
        except WebDriverException:
            if staleness_of(old)(driver):  # the click went through all the same
                break
            if attempt == 2:
                raise
            time.sleep(0.2)
            continue
        WebDriverWait(driver, 20).until(staleness_of(old))
        break
    # the new page whole (its styles too) before anything is read or checked off it
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def accessible(driver: WebDriver, name: str) -> None:
    """The page as it is now passes axe-core (WCAG 2.1 A/AA); its screenshot kept."""
    screenshot(driver, name)
    assert axe_violations(driver) == [], name


def sign_in(driver: WebDriver, web, login: str) -> None:
    driver.get(web.url + "/")
    accessible(driver, f"{login}-0-aanmelden")
    follow(driver, By.LINK_TEXT, "Aanmelden met uw organisatie-account")
    driver.find_element(By.NAME, "login").send_keys(login)
    follow(driver, By.ID, "aanmelden")


def test_icm_works_through_the_pages_in_chromium(web, tmp_path):
    downloads = tmp_path / "downloads"
    with chromium(downloads) as driver:
        sign_in(driver, web, "icm")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Werkvoorraad"
        accessible(driver, "icm-1-werkvoorraad")
        # the overdue case stands out: first, marked, and so said in words
        first = driver.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
        assert "mw-te-laat" in first.get_attribute("class")
        assert "MW-2027-0002" in first.text and "te laat" in first.text
        late, in_time = (
            driver.find_element(
                By.CSS_SELECTOR, f"tbody tr:nth-child({i}) td"
            ).value_of_css_property("background-color")
            for i in (1, 2)
        )
        assert late != in_time

        # open it: first why, then the case
        follow(driver, By.LINK_TEXT, "MW-2027-0002")
        accessible(driver, "icm-2-reden")
        driver.find_element(By.CSS_SELECTOR, "label[for=reden-1]").click()
        follow(driver, By.CSS_SELECTOR, "main form button[type=submit]")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Zaak MW-2027-0002"
        body = driver.find_element(By.TAG_NAME, "main").text
        assert "<script>alert(1)</script>" in body and "{{ 7*7 }}" in body
        assert (
            driver.execute_script(
                "return document.querySelectorAll('main script').length"
            )
            == 0
        )
        accessible(driver, "icm-3-zaak-te-laat-vijandige-waarden")

        # the approved case, from the register: its contract downloads
        follow(driver, By.LINK_TEXT, "Register")
        follow(driver, By.LINK_TEXT, "MW-2027-0001")
        driver.find_element(By.CSS_SELECTOR, "label[for=reden-3]").click()
        follow(driver, By.CSS_SELECTOR, "main form button[type=submit]")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Zaak MW-2027-0001"
        accessible(driver, "icm-4-zaak-contract")
        driver.find_element(By.PARTIAL_LINK_TEXT, "contract MW-2027-0001.pdf").click()
        pdf = _downloaded(downloads, "contract MW-2027-0001.pdf")
        assert pdf.read_bytes().startswith(b"%PDF")

        follow(driver, By.LINK_TEXT, "Quarantaine")
        accessible(driver, "icm-5-quarantaine")
        row = next(
            r
            for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
            if NO_FORM_SUBJECTS[1] in r.text
        )
        row.find_element(By.NAME, "reden").send_keys("telefonisch afgehandeld")
        follow(
            driver,
            By.XPATH,
            f"//tr[contains(., '{NO_FORM_SUBJECTS[1]}')]//button[@value='vrijgeven']",
        )
        status = driver.find_element(By.CSS_SELECTOR, "[role=status]").text
        assert status == "Mail vrijgegeven."
        held, log = driver.find_element(By.TAG_NAME, "main").text.split("Logboek")
        assert NO_FORM_SUBJECTS[1] not in held
        assert "telefonisch afgehandeld" in log and "icm@zorginzou.nl" in log
        accessible(driver, "icm-6-quarantaine-vrijgegeven")

        for page, name in (
            ("Register", "icm-7-register"),
            ("Aflopend", "icm-8-aflopend"),
            ("Monitoring", "icm-9-monitoring"),
        ):
            follow(driver, By.LINK_TEXT, page)
            assert driver.find_element(By.TAG_NAME, "h1").text.startswith(
                page if page != "Aflopend" else "Aflopende"
            )
            accessible(driver, name)
        assert driver.find_elements(By.CSS_SELECTOR, "svg.mw-chart__svg rect")

        driver.get(web.url + "/zaak/MW-2027-9999")
        accessible(driver, "icm-10-niet-gevonden")
        follow(driver, By.CSS_SELECTOR, "form.mw-signout button")
        assert "U bent afgemeld" in driver.find_element(By.TAG_NAME, "main").text
        accessible(driver, "icm-11-afgemeld")


def test_a_beleidsadviseur_is_refused_another_gemeentes_case_in_chromium(web, tmp_path):
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, web, "zeist")
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert rows and all("Zeist" in r.text for r in rows)
        driver.get(web.url + "/zaak/MW-2027-0004")
        main = driver.find_element(By.TAG_NAME, "main").text
        assert driver.find_element(By.TAG_NAME, "h1").text == "Geen toegang"
        assert "Heuvelrug" not in main and "Vlonder" not in main
        accessible(driver, "zeist-1-geen-toegang")


def test_the_backoffice_a_refused_sign_in_and_no_role_in_chromium(web, tmp_path):
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, web, "backoffice")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Register"
        links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]
        assert links == ["Register", "Aflopend"]
        accessible(driver, "backoffice-1-register")
    with chromium(tmp_path / "downloads") as driver:
        driver.get(web.url + "/aanmelden/start")
        follow(driver, By.ID, "weigeren")
        assert "geweigerd" in driver.find_element(By.TAG_NAME, "main").text
        accessible(driver, "geweigerd-1-aanmelden")
    with chromium(tmp_path / "downloads") as driver:
        sign_in(driver, web, "vreemde")  # signed in at the provider, no role here
        assert "geen rol" in driver.find_element(By.TAG_NAME, "main").text
        accessible(driver, "vreemde-1-geen-rol")


def _downloaded(folder: Path, ending: str, timeout: float = 15) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*") if p.name.endswith(ending)]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no download ending in {ending!r} in {folder}")
