"""The drop folder: a file placed there is a submission too.

watchdog's native observer (inotify) wakes the loop at once; on SMB/NFS network shares
inotify never fires, so `drop.polling = true` selects watchdog's polling observer. A
file is taken only once its size and modification time have stopped changing for
`stable_seconds`. Handled files move to `verwerkt/`, refused ones to `geweigerd/` and
ones that could not be handled to `quarantaine/` — nothing is deleted.

Only regular files are read. A symbolic link (to /etc/passwd, or to another share), a
pipe, a device or a socket is refused on sight, and a file larger than `[intake]
max_attachment_mb` once it is stable, judged by its size before a byte is read (a sparse
file's apparent size counts): each moves to `geweigerd/` with a Dutch reason, and the
next file is handled as usual. The folders the watcher makes and the files it moves are
for owner and group only, like the register.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Final

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from pipeline.config import DropSettings
from pipeline.errors import FolderUnavailable
from pipeline.folders import DropOutcome
from pipeline.register.folder import DIR_MODE, FILE_MODE

log = logging.getLogger(f"maatwerk.{__name__}")
IGNORED_PREFIXES = ("~$", ".", "~")  # Office lock files, hidden and temporary files
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")
# what a file that is not a regular file is, in the words of its reason
NOT_REGULAR: Final = (
    (
        stat.S_ISLNK,
        "een snelkoppeling (symbolische link) naar een ander bestand of een andere map",
    ),
    (stat.S_ISFIFO, "een pipe"),
    (stat.S_ISCHR, "een apparaatbestand"),
    (stat.S_ISBLK, "een apparaatbestand"),
    (stat.S_ISSOCK, "een socket"),
)
HARD_LINK: Final = "een tweede naam (harde koppeling) van een bestand elders"


def not_regular_reason(st: os.stat_result) -> str | None:
    """The Dutch reason for refusing a drop-folder entry that is not a regular file of
    its own (a hard link could be a second name of /etc/shadow); None for a regular
    file."""
    if stat.S_ISREG(st.st_mode) and st.st_nlink <= 1:
        return None
    what = next((text for test, text in NOT_REGULAR if test(st.st_mode)), HARD_LINK)
    return (
        f"Dit is {what}, geen gewoon bestand; het is niet gelezen. Zet het"
        " aanvraagformulier zelf (een Word- of PDF-bestand) in de dropmap."
    )


def too_big_reason(max_mb: float) -> str:
    """The Dutch reason for refusing a dropped file above `[intake]
    max_attachment_mb`."""
    return (
        f"Het bestand is groter dan {f'{max_mb:g}'.replace('.', ',')} MB en is niet"
        " gelezen. Zet het aanvraagformulier als los Word- of PDF-bestand zonder grote"
        " bijlagen in de dropmap."
    )


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event):
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


DROP_DEFAULTS: Final = DropSettings()  # `[drop]` as configured by default


class DropFolder:
    def __init__(
        self,
        path: Path,
        *,
        polling: bool = DROP_DEFAULTS.polling,
        poll_seconds: float = DROP_DEFAULTS.poll_seconds,
        stable_seconds: float = DROP_DEFAULTS.stable_seconds,
        max_mb: float | None = None,
    ):
        self.path = Path(path)
        self.polling = polling
        self.poll_seconds = poll_seconds
        self.stable_seconds = stable_seconds
        self.max_mb = max_mb  # `[intake] max_attachment_mb`; None: no limit
        self.changed = threading.Event()
        self._seen: dict[
            Path, tuple[int, float, float]
        ] = {}  # path → (size, mtime, since)
        self._observer: BaseObserver | None = None
        try:
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:  # not makeable (a share away, a file in the way)
            raise FolderUnavailable("de dropmap", self.path) from exc

    def start(self) -> None:
        self._observer = (
            PollingObserver(timeout=self.poll_seconds) if self.polling else Observer()
        )
        self._observer.schedule(_Wake(self.changed), str(self.path), recursive=False)
        self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)

    def candidates(self) -> list[Path]:
        """What lies in the folder to be taken or refused: every entry but folders (the
        outcome folders among them), hidden and temporary files — a symbolic link (to a
        file or a folder), a pipe or a device included."""
        if not self.path.is_dir():
            raise FolderUnavailable("de dropmap", self.path)
        with os.scandir(self.path) as entries:
            return sorted(
                Path(e.path)
                for e in entries
                if not e.is_dir(follow_symlinks=False)
                and not e.name.startswith(IGNORED_PREFIXES)
                and not e.name.lower().endswith(IGNORED_SUFFIXES)
            )

    def ready(self, now: float | None = None) -> list[Path]:
        """Regular files whose size and mtime have not changed for `stable_seconds`.
        Anything else found (not a regular file; stable but too large) is refused here,
        never read.
        """
        now = time.monotonic() if now is None else now
        ready, current = [], {}
        for p in self.candidates():
            try:
                st = os.lstat(p)  # the entry itself: a link is never followed
            except FileNotFoundError:
                continue
            refused = not_regular_reason(st)
            if refused:
                self._refuse(p, refused, "not a regular file")
                continue
            prev = self._seen.get(p)
            since = prev[2] if prev and prev[:2] == (st.st_size, st.st_mtime) else now
            current[p] = (st.st_size, st.st_mtime, since)
            if now - since >= self.stable_seconds and st.st_size > 0:
                if self.max_mb is not None and st.st_size > self.max_mb * 1024 * 1024:
                    self._refuse(
                        p,
                        too_big_reason(self.max_mb),
                        "larger than [intake] max_attachment_mb",
                    )
                    current.pop(p)
                    continue
                ready.append(p)
        self._seen = current
        return ready

    def _refuse(self, path: Path, reason: str, why: str) -> None:
        log.warning(
            "drop folder entry refused without reading it (%s); moved to %s/",
            why,
            DropOutcome.geweigerd,
        )
        self.file_away(path, DropOutcome.geweigerd, reasons=[reason])

    def wait_until_stable(self) -> list[Path]:
        """For a single pass: look twice, `stable_seconds` apart."""
        self.ready()
        if not self._seen:
            return []
        time.sleep(self.stable_seconds)
        return self.ready()

    def file_away(
        self,
        path: Path,
        outcome: str,
        case_id: str | None = None,
        reasons: list[str] | None = None,
    ) -> Path | None:
        """Move a handled file out of the way; refused files get a Dutch '.reden.txt'
        beside them. None when the file is gone already (another worker moved it)."""
        folder = self._outcome_folder(
            outcome if outcome in set(DropOutcome) else DropOutcome.quarantaine
        )
        stem = f"{case_id} " if case_id else f"{datetime.now():%Y%m%d-%H%M%S} "
        target = folder / f"{stem}{path.name}"
        n = 1
        while os.path.lexists(target):
            n += 1
            target = folder / f"{stem}({n}) {path.name}"
        try:
            shutil.move(
                str(path), target
            )  # a rename: a link moves as a link, a pipe is never opened
        except FileNotFoundError:
            self._seen.pop(path, None)
            return None
        _owner_group_only(target)
        if reasons and outcome != DropOutcome.verwerkt:
            lines = [
                f"{path.name}:"
                f" {'geweigerd' if outcome == 'geweigerd' else 'niet verwerkt'}"
                + (f" (zaak {case_id})" if case_id else ""),
                "",
            ] + [f"- {r}" for r in reasons]
            _write_reason(
                target.with_name(target.name + ".reden.txt"), "\n".join(lines) + "\n"
            )
        self._seen.pop(path, None)
        return target

    def _outcome_folder(self, name: str) -> Path:
        """verwerkt/, geweigerd/ or quarantaine/: made owner/group only; never a link to
        elsewhere (a link there is an outage of the drop folder, not a place to move
        files to)."""
        folder = self.path / name
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise FolderUnavailable("de dropmap", folder)
        if st.st_mode & 0o007:  # made by an older version
            os.chmod(folder, DIR_MODE)
        return folder


def _owner_group_only(path: Path) -> None:
    """A regular file moved into an outcome folder: owner/group only (a link, pipe or
    device is left as it is: never followed, never opened)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # replaced by a link meanwhile (ELOOP), or gone
        return
    try:
        st = os.fstat(fd)
        if (
            stat.S_ISREG(st.st_mode) and st.st_nlink == 1
        ):  # a second name of a file elsewhere keeps its mode
            os.fchmod(fd, FILE_MODE)
    except PermissionError:  # another user's file on a share
        pass
    finally:
        os.close(fd)


def _write_reason(path: Path, text: str) -> None:
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE
        )
    except OSError as exc:  # a link planted under that name is not written through
        log.error("reason file not written (%s)", type(exc).__name__)
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
