"""kill -9 at each step of handling a request, then a restart: every request still ends
as exactly one case, each adviser gets exactly one advice request, the referrer one
receipt, and the register holds no partial file. The pipeline runs as the real `maatwerk
run --once` process; tests set MAATWERK_CRASH_AT so it gets SIGKILL at that point
(pipeline/crashpoints.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import store
from pipeline.crashpoints import POINTS
from pipeline.mail import MaildirPostOffice
from tests.conftest import ICM, INKOOP, ZEIST_BA, parse, sample, store_url

REFERRER = "e.vandijk@zeist.nl"


def _run(cwd: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MAATWERK_CRASH_AT"}
    if crash_at:
        env["MAATWERK_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "maatwerk", "run", "--once"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _store(root: Path) -> str:
    """The store the CLI process uses: SQLite under ./data, or PostgreSQL via
    ./maatwerk.toml."""
    url = store_url(root / "data")
    if not url.startswith("sqlite"):
        (root / "maatwerk.toml").write_text(f'[store]\nurl = "{url}"\n')
    return url


def _mails(office: MaildirPostOffice, address: str) -> list:
    box = office.maildir(address)
    return [parse(box.get_bytes(k)) for k in box.iterkeys()]


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_each_step_then_restart(tmp_path, point):
    url = _store(tmp_path)
    office = MaildirPostOffice(tmp_path / "data" / "mail")
    office.maildir(INKOOP).add(sample("mail-submission.eml").read_bytes())
    crashed = _run(tmp_path, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    again = _run(tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]

    st = store.Store(url)
    with st.session() as s:
        cases = store.open_cases(s)
        assert [c.state for c in cases] == ["advies_gevraagd"]
        assert store.unsent_mails(s) == []
    st.close()
    for adviser in (ZEIST_BA, ICM):
        assert (
            len(
                [
                    m
                    for m in _mails(office, adviser)
                    if "Adviesaanvraag" in str(m["Subject"])
                ]
            )
            == 1
        ), adviser
    assert len(_mails(office, REFERRER)) == 1
    assert _mails(office, INKOOP) == []
    register = tmp_path / "data" / "register"
    assert not list(register.rglob(".tmp-*"))
    files = sorted(p.name for p in register.rglob("*") if p.is_file())
    assert len([f for f in files if "aanvraagformulier" in f]) == 1
    assert all(f.endswith((".docx", ".eml", ".json")) for f in files)


@pytest.mark.slow
def test_a_hundred_random_crashes_lose_and_double_nothing(tmp_path):
    """≥ 100 trials: three requests, killed at a random step (or not at all), restarted
    until done."""
    import random

    rng = random.Random(20261123)
    forms = [
        sample(n).read_bytes()
        for n in ("legacy-table.docx", "template.docx", "legacy-split-table.docx")
    ]
    from tests.conftest import mail_with_form

    for trial in range(100):
        root = tmp_path / f"t{trial}"
        root.mkdir()
        url = _store(root)
        office = MaildirPostOffice(root / "data" / "mail")
        for i, form in enumerate(forms):
            office.maildir(INKOOP).add(
                mail_with_form(
                    f"verwijzer{i}@zeist.nl", f"aanvraag {i}", "a.docx", form
                )
            )
        for _ in range(rng.randint(1, 3)):
            _run(root, crash_at=rng.choice(POINTS + (None,)))
        assert _run(root).returncode == 0
        st = store.Store(url)
        with st.session() as s:
            assert len(store.open_cases(s)) == 3, trial
            assert store.unsent_mails(s) == []
        st.close()
        asked = [
            m
            for a in (
                ZEIST_BA,
                ICM,
                "beleid.jeugd@heuvelrug.nl",
                "beleidsadviseur.jeugd@houten.nl",
            )
            for m in _mails(office, a)
            if "Adviesaanvraag" in str(m["Subject"])
        ]
        assert len(asked) == 6, trial  # two per request, never more
        assert not list((root / "data" / "register").rglob(".tmp-*"))


def test_files_of_a_failed_attempt_are_removed_and_leftovers_under_a_reused_number_moved_aside(
    env, monkeypatch
):
    """A mail whose handling fails after filing leaves no files (its case was rolled
    back); files found under a case number handed out again (a run killed before its
    commit) are moved to register/_onderbroken/, and the new case's files get their
    plain names (no ' v2').
    """
    real = store.record_received

    def failing(*args, **kwargs):
        raise RuntimeError("the disk hiccupped")

    monkeypatch.setattr(store, "record_received", failing)
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()
    assert env.register_files() == []  # filed, then removed with the rolled-back case
    monkeypatch.setattr(store, "record_received", real)

    leftover = env.root / "register" / "2027" / "Houten" / "MW-2027-0001"
    leftover.mkdir(parents=True)
    (leftover / "2027-03-11 aanvraagformulier MW-2027-0001.docx").write_bytes(
        b"half a form from a killed run"
    )
    env.pipeline.reprocess()
    files = [
        p.relative_to(env.root / "register").as_posix() for p in env.register_files()
    ]
    assert (
        "2027/Zeist/MW-2027-0001/2027-03-11 aanvraagformulier MW-2027-0001.docx"
        in files
    )
    assert not any(" v2" in f for f in files)
    aside = [f for f in files if f.startswith("_onderbroken/MW-2027-0001 ")]
    assert len(aside) == 1 and aside[0].endswith(
        "/2027-03-11 aanvraagformulier MW-2027-0001.docx"
    )
