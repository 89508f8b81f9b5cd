"""A temp file in the register is removed at start only when its writer is gone: a
crash's leftover goes, another process's write in progress (a second worker, the web
page taking a mail out of Quarantaine, a command beside `maatwerk run`) stays."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pipeline.register.folder import Register, write_temp
from tests.conftest import REPO


def test_only_the_temp_files_of_writers_that_are_gone_are_removed(tmp_path):
    folder = tmp_path / "2027" / "Zeist" / "MW-2027-0001"
    folder.mkdir(parents=True)
    in_progress = Path(write_temp(folder, b"ours", ".pdf"))  # this process: alive
    crashed = subprocess.run(  # a process that wrote one and ended
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path;"
            f" sys.path.insert(0, {str(REPO)!r});"
            " from pipeline.register.folder import write_temp;"
            f" print(write_temp(Path({str(folder)!r}), b'half', '.pdf'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    other_machine = folder / ".tmp-elders~4242~abc.pdf"
    other_machine.write_bytes(b"theirs")
    stale = folder / ".tmp-elders~4243~def.pdf"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 2 * 86_400,) * 2)

    assert Register(tmp_path).remove_partial_files() == 2
    assert in_progress.exists() and other_machine.exists()
    assert not Path(crashed).exists() and not stale.exists()
