"""Register stage: file everything of a case under
`register/<year>/<gemeente>/<case-id>/`.

File names sort and explain themselves (`2027-01-04 contract MW-2027-0012.docx`).
Files are written atomically (temp file + rename), never overwritten (a different
version gets ' v2', ' v3', …; the same content again is not written twice), and are
readable by owner and group only.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from pipeline import crashpoints
from pipeline.errors import FolderUnavailable

log = logging.getLogger(f"maatwerk.{__name__}")
# files of an interrupted run found under a case number handed out again
ONDERBROKEN = "_onderbroken"
TEMP_PREFIX = ".tmp-"  # then the writer's host and pid: .tmp-<host>~<pid>~…
FOREIGN_TEMP_SECONDS = 86_400
DIR_MODE = 0o750
FILE_MODE = 0o640
MAX_FOLDER_NAME = (
    80  # characters of a value used as a folder name (a file system allows 255 bytes)
)
# Errors of the disk or share itself, not of what is filed: an outage, the item waits.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
OUTAGE = FULL | {
    errno.EIO,
    errno.EROFS,
    errno.ENOTCONN,
    errno.ESTALE,
    errno.ETIMEDOUT,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.ENETUNREACH,
    errno.ENODEV,
}
NO_LINKS = frozenset(
    {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
)


def _safe(part: str) -> str:
    """A folder-name-safe version of a value (gemeente), never a path, never too
    long."""
    cleaned = re.sub(r"[^\w .-]", "_", part, flags=re.UNICODE)[:MAX_FOLDER_NAME].strip(
        " ."
    )
    return cleaned or "onbekend"


def file_stem(day: date, soort: str, case_id: str) -> str:
    """A filed file's name without version and extension: they sort and explain
    themselves (`2027-01-04 contract MW-2027-0012`)."""
    return f"{day:%Y-%m-%d} {soort} {case_id}"


class Register:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._written: list[Path] | None = None

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """Files filed while one item is handled. When handling fails (its transaction
        is rolled back, so no case refers to them) they are removed again: no orphans in
        the register.
        """
        self._written = []
        try:
            yield
        except BaseException:
            for path in self._written:
                try:
                    path.unlink(missing_ok=True)
                except (
                    OSError
                ):  # the share went away meanwhile: the original error is what counts
                    log.warning(
                        "a file of a failed attempt could not be removed from the"
                        " register"
                    )
            raise
        finally:
            self._written = None

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """A full disk, a read-only or vanished share while filing is an outage
        (FolderUnavailable: the mail waits in the inbox), not an error of the item being
        filed."""
        try:
            yield
        except OSError as exc:
            if exc.errno in OUTAGE or not self.root.is_dir():
                wat = (
                    "de registermap (schijf vol)"
                    if exc.errno in FULL
                    else "de registermap"
                )
                raise FolderUnavailable(wat, self.root) from exc
            raise

    def new_case_dir(self, year: int, gemeente: str | None, case_id: str) -> Path:
        """The folder of a case number just handed out. Anything already under that
        number was left by a run killed before its commit (the number is handed out
        again): it is moved aside to `_onderbroken/`, never deleted (it could also be a
        register restored without its store).
        """
        self.check()
        with self._guarded():
            for leftover in self.root.glob(f"{year}/*/{case_id}"):
                aside = (
                    self.root
                    / ONDERBROKEN
                    / f"{case_id} {datetime.now():%Y%m%d-%H%M%S-%f}"
                )
                aside.parent.mkdir(mode=DIR_MODE, exist_ok=True)
                shutil.move(str(leftover), aside)
                log.warning(
                    "files found under the new case number %s moved to %s/",
                    case_id,
                    ONDERBROKEN,
                )
        return self.case_dir(year, gemeente, case_id)

    def remove_partial_files(self) -> int:
        """Temp files left by a crash while filing (written, never put in place):
        removed at start. A complete file is only ever in place under its final name.
        A temp file of a process still running on this machine (another worker, a
        command beside `maatwerk run`) is its work in progress, and stays; one from
        another machine (a shared register) only when it is a day old."""
        removed = 0
        if self.root.exists():
            for tmp in self.root.rglob(f"{TEMP_PREFIX}*"):
                if _left_behind(tmp):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def ensure_root(self) -> None:
        """At start: the register folder is made when it is not there yet (a first
        run). Raises FolderUnavailable when it cannot be made."""
        try:
            self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise FolderUnavailable("de registermap", self.root) from exc

    def check(self) -> None:
        """While running the folder must be there: a file share that went away is an
        outage (the mail waits in the inbox), never a reason to write somewhere else."""
        if not self.root.is_dir():
            raise FolderUnavailable("de registermap", self.root)

    def case_dir(self, year: int, gemeente: str | None, case_id: str) -> Path:
        self.check()
        path = self.root / str(year) / _safe(gemeente or "onbekend") / case_id
        with self._guarded():
            for p in (self.root / str(year), path.parent, path):
                if not p.exists():
                    p.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        return path

    def file(
        self,
        folder: Path,
        day: date,
        soort: str,
        case_id: str,
        ext: str,
        content: bytes,
    ) -> Path:
        """File `content`; the same content under the same name is not written again.
        Raises FolderUnavailable when the register is away or full."""
        self.check()
        with self._guarded():
            stem = file_stem(day, soort, case_id)
            target = self._free_name(
                folder, stem, ext, lambda p: p.read_bytes() == content
            )
            if target.exists():
                return target
            tmp = write_temp(folder, content, ext)
            try:
                crashpoints.reached("while_filing")  # written, not yet in place
                os.link(
                    tmp,
                    target,
                    # fails rather than overwrite when a file of that name appeared
                    # meanwhile
                )
            finally:
                os.unlink(tmp)
        return self._wrote(target)

    def refer(
        self, filed: Path, folder: Path, day: date, soort: str, case_id: str, ext: str
    ) -> Path:
        """A file already filed for another case (the mail that made several cases) in
        this case's folder too, as a hard link: stored once, found in each folder;
        removing one case's link (retention) leaves the others'. Raises
        FolderUnavailable like `file`."""
        self.check()
        with self._guarded():
            stem = file_stem(day, soort, case_id)
            target = self._free_name(
                folder, stem, ext, lambda p: os.path.samefile(p, filed)
            )
            if target.exists():
                return target
            try:
                os.link(filed, target)
            except OSError as exc:
                if exc.errno not in NO_LINKS:
                    raise
                log.warning(
                    "the register's file system has no hard links here; the file is"
                    " copied"
                )
                return self.file(folder, day, soort, case_id, ext, filed.read_bytes())
        return self._wrote(target)

    @staticmethod
    def _free_name(
        folder: Path, stem: str, ext: str, same: Callable[[Path], bool]
    ) -> Path:
        """`stem` + ext, or ' v2', ' v3', …: the first name not taken, or the one that
        holds the same file already (`same`)."""
        version = 1
        while True:
            target = folder / f"{stem}{'' if version == 1 else f' v{version}'}{ext}"
            if not target.exists() or same(target):
                return target
            version += 1

    def _wrote(self, target: Path) -> Path:
        if self._written is not None:
            self._written.append(target)
        return target


def _left_behind(tmp: Path) -> bool:
    """The temp file's writer (named in it: host and pid) is gone."""
    host, _, rest = tmp.name.removeprefix(TEMP_PREFIX).partition("~")
    pid = rest.partition("~")[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False  # alive: a write in progress
    try:
        return time.time() - tmp.stat().st_mtime > FOREIGN_TEMP_SECONDS
    except OSError:
        return False


def write_temp(folder: Path, content: bytes, suffix: str) -> str:
    """`content` in a new temp file in `folder` (`.tmp-…`, on disk, for owner and group
    only): its path, to be put in place by the caller. A crash leaves it behind for
    `remove_partial_files`."""
    prefix = f"{TEMP_PREFIX}{socket.gethostname()}~{os.getpid()}~"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: Path, content: bytes) -> None:
    """Replace `path` with `content` at once (a temp file renamed), for owner and group
    only: for views such as the register index, which are meant to be replaced."""
    os.replace(write_temp(path.parent, content, path.suffix), path)


def extension_for(content: bytes) -> str:
    """The file extension for content, from its bytes (the sender's file name is never
    used)."""
    from pipeline.stages.extract import sniff

    kind = sniff(content)
    if kind == "zip":
        return ".docx" if b"word/document.xml" in content else ".zip"
    return {"pdf": ".pdf", "ole": ".doc", "rtf": ".rtf", "odt": ".odt"}.get(
        kind, ".bin"
    )
