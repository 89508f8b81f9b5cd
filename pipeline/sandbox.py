"""Running a reader of untrusted bytes in a child process, within limits.

A sender's file is parsed by libraries written in C (pdfium, zlib, lxml, OpenCV) and by
the programs they start (tesseract, LibreOffice). A hostile or broken file can make them
take all memory or all time — a 443-byte PDF with a huge page asked 3.6 GB. So each
reading runs in its own child process, started from a fork server that has the readers
imported already (a fork costs milliseconds, a fresh interpreter seconds). In the child:

* RLIMIT_DATA caps its memory (heap and anonymous mappings, not the shared libraries,
  which RLIMIT_AS would count), RLIMIT_CPU its CPU time; both are inherited by every
  program it starts, each of which gets the same caps;
* it leads its own process group, so that the parent can kill it together with those
  programs.

The parent waits at most `wall_seconds`, then kills the group. Whatever limit is hit,
the caller gets `UnreadableForm` with a Dutch reason: the file is refused and kept,
other mail goes on. The result travels back pickled; the function and its arguments must
be picklable.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
import types
from collections.abc import Callable
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Final, TypeVar

from pipeline.config import LimitSettings
from pipeline.errors import UnreadableForm

log = logging.getLogger(f"maatwerk.{__name__}")
T = TypeVar("T")

# imported once in the fork server, so that a child starts with them in memory
PRELOAD: Final = [
    "pipeline.stages.extract",
    "pipeline.convert",
    "pipeline.readers.record",
    "pipeline.readers.docx",
    "pipeline.readers.word",
    "pipeline.readers.template",
    "pipeline.readers.acroform",
    "pipeline.readers.wordpdf",
    "pipeline.readers.scan",
    "pypdf",
    "pdfplumber",
    "pypdfium2",
    "cv2",
    "docx",
]
CPU_GRACE: Final = (
    5  # s between SIGXCPU (the soft CPU limit) and SIGKILL (the hard one)
)
REAP_SECONDS: Final = 5.0  # a dead child is reaped within this

ADVICE = "Stuur alleen het aanvraagformulier, als Word- of PDF-bestand."
TOO_SLOW = (
    "Het lezen van het bestand duurde te lang (meer dan {seconds:g} seconden) en is"
    " gestopt. " + ADVICE
)
TOO_MUCH_CPU = (
    "Het lezen van het bestand kostte te veel rekentijd (meer dan {seconds} seconden)"
    " en is gestopt. " + ADVICE
)
TOO_MUCH_MEMORY = (
    "Het bestand vraagt bij het lezen te veel geheugen (meer dan {mb} MB) en is daarom"
    " niet verwerkt. " + ADVICE
)
BROKE_READER = (
    "Het bestand kon niet veilig worden gelezen (het lezen brak af) en is daarom niet"
    " verwerkt. Sla het formulier opnieuw op en stuur het nog eens. " + ADVICE
)

_context: Any | None = None
_starting = threading.Lock()


def _forkserver():
    """The fork server context (started on first use, with PRELOAD imported)."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _context = ctx
    return _context


def run(func: Callable[..., T], args: tuple, limits: LimitSettings) -> T:
    """`func(*args)` in a child process within `limits`; its exception is raised here as
    is.

    Raises UnreadableForm (a Dutch reason) when a limit was hit or the child died.
    """
    ctx = _forkserver()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child,
        args=(sender, func, args, limits, dict(os.environ)),
        name="maatwerk-lezer",
        daemon=True,
    )
    with _without_main():
        child.start()
    sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            _kill_group(child)
            log.warning(
                "reading stopped after %gs (wall-clock limit)", limits.wall_seconds
            )
            raise UnreadableForm(TOO_SLOW.format(seconds=limits.wall_seconds))
        try:
            status, value = receiver.recv()
        except (
            EOFError,
            OSError,
        ):  # died before it could answer: a limit or a crash in a C library
            child.join(REAP_SECONDS)
            _kill_group(child)
            raise UnreadableForm(_death_reason(child.exitcode, limits)) from None
    finally:
        receiver.close()
        _kill_group(child)  # programs it started and left behind
        child.join(REAP_SECONDS)
    if status == "memory":
        log.warning("reading stopped: memory limit (%s MB)", limits.memory_mb)
        raise UnreadableForm(TOO_MUCH_MEMORY.format(mb=limits.memory_mb))
    if status == "error":
        raise value
    return value


@contextmanager
def _without_main():
    """multiprocessing runs the parent's main module again in each child (the `maatwerk`
    script, or maatwerk under `python -m`): a child needs only the preloaded
    readers, so it is not told.
    """
    with _starting:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def _death_reason(exitcode: int | None, limits: LimitSettings) -> str:
    if exitcode == -signal.SIGXCPU or exitcode == -signal.SIGKILL:
        log.warning(
            "reading stopped: CPU limit (%ss), exit %s", limits.cpu_seconds, exitcode
        )
        return TOO_MUCH_CPU.format(seconds=limits.cpu_seconds)
    log.warning("reading stopped: the reader died (exit %s)", exitcode)
    return BROKE_READER


def _kill_group(child) -> None:
    """SIGKILL to the child's process group (itself and the programs it started)."""
    if child.pid is None:
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (
        ProcessLookupError,
        PermissionError,
    ):  # gone already, or it had no group of its own yet
        if child.exitcode is None:
            child.kill()


def _child(
    conn: Connection,
    func: Callable,
    args: tuple,
    limits: LimitSettings,
    environ: dict[str, str],
) -> None:
    """In the child: limits on, then `func`; sends ("ok", result), ("error", exc) or
    ("memory", None)."""
    os.setpgrp()
    # the parent's environment now, not the fork server's at its start
    os.environ.clear()
    os.environ.update(environ)
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(
        resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + CPU_GRACE)
    )
    resource.setrlimit(
        resource.RLIMIT_CORE, (0, 0)
    )  # SIGXCPU would dump up to a GB of core
    try:
        result: tuple[str, Any] = ("ok", func(*args))
    except MemoryError:
        result = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 — the parent raises it
        result = ("error", exc)
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("memory", None))
    finally:
        conn.close()
