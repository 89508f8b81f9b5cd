"""Opening the store again in a process that has it open (the web pages do, for a
Quarantaine action) loses nothing: SQLite's locks of the first connection hold, so
another process closing its connection leaves the write-ahead log in place."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from pipeline.config import StoreSettings
from pipeline.store import open_store
from tests.conftest import REPO

# another maatwerk process (`maatwerk status`, `inzage`) that opens the store, reads
# and closes it; it prints what it read
OTHER = (
    "import sys; sys.path.insert(0, {repo!r}); from sqlalchemy import text;"
    " from pipeline.config import StoreSettings; from pipeline.store import open_store;"
    " st = open_store(StoreSettings(url={url!r}), create=False)\n"
    "with st.session() as s:"
    " print(s.scalars(text('select reden from inzage order by id')).all())\n"
    "st.close()"
)


def _other(url: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", OTHER.format(repo=str(REPO), url=url)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_a_second_open_in_the_same_process_keeps_every_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'maatwerk.db'}"
    first = open_store(StoreSettings(url=url))
    insert = text(
        "insert into inzage (at, case_id, wie, actie, reden)"
        " values (CURRENT_TIMESTAMP, 'MW-2027-0001', 'icm', 'bekeken', :r)"
    )
    with first.session() as s:
        s.execute(insert, {"r": "een"})
    open_store(StoreSettings(url=url)).close()  # as a Quarantaine action does
    assert _other(url) == "['een']"
    with first.session() as s:
        s.execute(insert, {"r": "twee"})
    try:  # while the first is still open, as the web pages stay open
        assert _other(url) == "['een', 'twee']"
    finally:
        first.close()
