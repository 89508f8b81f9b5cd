"""Named points where the crash tests kill this process with SIGKILL (as `kill -9`
would).

`MAATWERK_CRASH_AT=<name>` is set only by tests/test_crash.py; in normal runs `reached`
is a dictionary lookup that does nothing.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(f"maatwerk.{__name__}")

POINTS = (
    "after_fetch",
    "after_extract",
    "after_commit",
    "while_sending",
    "while_filing",
)


def reached(name: str) -> None:
    if os.environ.get("MAATWERK_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
