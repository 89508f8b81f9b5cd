"""Headless Chromium for the web tests: Debian's chromium and chromium-driver (installed by
scripts/setup-system --tests), driven by selenium; axe-core (tests/node, installed by
scripts/test) for the accessibility checks.

    with chromium(tmp_path / "downloads") as driver:
        driver.get(url)
        assert axe_violations(driver) == []
        screenshot(driver, "overzicht")

axe is run through the DevTools protocol (Runtime.evaluate), not as a script of the
page: the app's pages allow no scripts at all (Content-Security-Policy without
script-src), and that policy stays in force for the page itself.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TESTS = Path(__file__).resolve().parent
AXE = TESTS / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = TESTS / "artefacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]


@contextmanager
def chromium(download_dir: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (own empty profile); files it downloads land in
    `download_dir` without a prompt."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            raise RuntimeError(
                f"{program} is missing; run scripts/setup-system --tests"
            )
    download_dir.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="mw-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(download_dir)},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _evaluate(driver: webdriver.Chrome, expression: str) -> Any:
    """Run `expression` in the current page through the DevTools protocol (not
    subject to the page's Content-Security-Policy), awaiting a promise."""
    reply = driver.execute_cdp_cmd(
        "Runtime.evaluate",
        {"expression": expression, "awaitPromise": True, "returnByValue": True},
    )
    if "exceptionDetails" in reply:
        details = reply["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        raise RuntimeError(f"script failed in the page: {text}")
    return reply.get("result", {}).get("value")


def axe_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page, each as
    {"id", "impact", "help", "nodes": [CSS selector of each offending element]}."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing; run npm ci --prefix tests/node")
    if not _evaluate(driver, "typeof window.axe === 'object'"):
        _evaluate(driver, AXE.read_text(encoding="utf-8") + "\n;true")
    options = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "resultTypes": ["violations"],
    }
    expression = (
        f"axe.run(document, {json.dumps(options)}).then(r => r.violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.flat(Infinity).join(' '))})))"
    )
    return list(_evaluate(driver, expression))


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save the current page as tests/artefacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".png")
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"could not save the screenshot {path}")
    return path
