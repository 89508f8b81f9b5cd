"""Several `maatwerk run` workers on one PostgreSQL store and one IMAP mailbox (real
Dovecot, real PostgreSQL on loopback, real worker processes): every request becomes
exactly one case, every adviser gets exactly one advice request per case, and a worker
killed with -9 in the middle of a mail leaves nothing undone — the other takes its mail
over."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document

from pipeline import store
from tests import mailserver
from tests.conftest import (
    ICM,
    INKOOP,
    ZEIST_BA,
    mail_with_form,
    parse,
    postgres,
    sample,
)

REFERRER = "e.vandijk@zeist.nl"

pytestmark = pytest.mark.skipif(
    not mailserver.available(), reason="Dovecot not installed (scripts/setup-system)"
)


def _config(root: Path, srv, url: str, lease_seconds: float = 300) -> Path:
    path = root / "maatwerk.toml"
    path.write_text(f"""
[store]
url = "{url}"
lease_seconds = {lease_seconds}
[mailbox]
backend = "imap"
poll_seconds = 0.5
{mailserver.toml(srv.tables())}[drop]
path = "{root / "drop"}"
[register]
path = "{root / "register"}"
""")
    return path


def _forms(n: int) -> list[bytes]:
    """n different request forms (the same request, each file its own: a different
    document title)."""
    base = sample("legacy-table.docx").read_bytes()
    out = []
    for i in range(n):
        doc = Document(io.BytesIO(base))
        doc.core_properties.title = f"aanvraag {i}"
        buf = io.BytesIO()
        doc.save(buf)
        out.append(buf.getvalue())
    return out


def _worker(root: Path, crash_at: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "MAATWERK_CRASH_AT"}
    if crash_at:
        env["MAATWERK_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [sys.executable, "-m", "maatwerk", "run"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_until_done(url: str, n: int, timeout: float = 150) -> None:
    st = store.Store(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with st.session() as s:
                cases = s.query(store.Case).count()
                unsent = len(store.unsent_mails(s))
            if cases >= n and not unsent:
                return
            time.sleep(0.5)
        raise AssertionError(f"not done in {timeout} s: {cases} cases, {unsent} unsent")
    finally:
        st.close()


def _stop(*workers: subprocess.Popen) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()


def _check(srv, url: str, n: int) -> None:
    st = store.Store(url)
    with st.session() as s:
        cases = s.query(store.Case).all()
        assert len(cases) == n
        assert {c.state for c in cases} == {"advies_gevraagd"}
        assert len({c.form_sha256 for c in cases}) == n
    st.close()
    for adviser in (ZEIST_BA, ICM):
        asked = [parse(raw) for raw in srv.messages(adviser)]
        per_case = Counter(str(m["Subject"]).split("[")[1].split("]")[0] for m in asked)
        assert len(per_case) == n and set(per_case.values()) == {1}, (adviser, per_case)
        assert len({m["Message-ID"] for m in asked}) == len(asked)
    assert len(srv.messages(REFERRER)) == n  # one receipt each
    assert srv.messages(INKOOP) == []
    assert len(srv.messages(INKOOP, "Verwerkt")) == n


def test_two_workers_share_one_mailbox_and_store(tmp_path, server):
    n = 24
    url = postgres().create_database("workers_share")
    _config(tmp_path, server, url)
    for i, form in enumerate(_forms(n)):
        server.lmtp_deliver(
            mail_with_form(REFERRER, f"Aanvraag maatwerk {i}", "aanvraag.docx", form),
            [INKOOP],
        )
    workers = [_worker(tmp_path), _worker(tmp_path)]
    try:
        _wait_until_done(url, n)
    finally:
        _stop(*workers)
    assert [w.returncode for w in workers] == [0, 0], [
        w.stderr.read()[-1500:] for w in workers
    ]
    _check(server, url, n)


def test_a_worker_killed_mid_mail_is_taken_over_by_the_other(tmp_path, server):
    """Worker A gets kill -9 right after reading its first form (its lease, and what it
    had not committed, are left behind); worker B finishes everything, A's mail
    included."""
    n = 8
    url = postgres().create_database("workers_kill")
    _config(tmp_path, server, url)
    for i, form in enumerate(_forms(n)):
        server.lmtp_deliver(
            mail_with_form(REFERRER, f"Aanvraag maatwerk {i}", "aanvraag.docx", form),
            [INKOOP],
        )
    doomed = _worker(tmp_path, crash_at="after_extract")
    assert doomed.wait(timeout=60) == -signal.SIGKILL
    survivor = _worker(tmp_path)
    try:
        _wait_until_done(url, n)
    finally:
        _stop(survivor)
    _check(server, url, n)


def test_a_second_worker_on_sqlite_is_refused_with_a_clear_message(tmp_path, server):
    _config(tmp_path, server, f"sqlite:///{tmp_path / 'maatwerk.db'}")
    first = _worker(tmp_path)
    try:
        time.sleep(3)
        second = subprocess.run(
            [sys.executable, "-m", "maatwerk", "run"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _stop(first)
    assert second.returncode == 6
    assert "meerdere verwerkers vragen PostgreSQL" in " ".join(second.stderr.split())
    assert first.returncode == 0


def test_leases_of_live_workers_hold_and_of_dead_or_late_ones_do_not():
    url = postgres().create_database("leases")
    st = store.Store(url)
    now = datetime.now(UTC)
    elsewhere_alive = "andere-server:4242"
    dead_here = f"{store.worker_id().rpartition(':')[0]}:{_dead_pid()}"
    with st.session() as s:
        s.add_all(
            [
                store.Lease(
                    key="a", holder=elsewhere_alive, until=now + timedelta(minutes=5)
                ),
                store.Lease(
                    key="b", holder=elsewhere_alive, until=now - timedelta(seconds=1)
                ),
                store.Lease(
                    key="c", holder=dead_here, until=now + timedelta(minutes=5)
                ),
            ]
        )
    with st.session() as s:
        assert (
            store.take_lease(s, "a", 60) is False
        )  # another server's worker, within its time
        assert store.take_lease(s, "b", 60) is True  # its time ran out
        assert (
            store.take_lease(s, "c", 60) is True
        )  # a worker on this machine that is gone
        assert store.take_lease(s, "d", 60) is True
    with st.session() as s:
        holders = dict(s.query(store.Lease.key, store.Lease.holder).all())
        assert holders == {
            "a": elsewhere_alive,
            "b": store.worker_id(),
            "c": store.worker_id(),
            "d": store.worker_id(),
        }
    st.close()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
