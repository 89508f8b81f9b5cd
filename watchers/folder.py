"""The drop folder: a file placed there is a submission too.

watchdog's native observer (inotify) wakes the loop at once; on SMB/NFS network shares
inotify never fires, so `drop.polling = true` selects watchdog's polling observer. A
file is taken only once its size and modification time have stopped changing for
`stable_seconds`. Handled files move to `verwerkt/`, refused ones to `geweigerd/` and
ones that could not be handled to `quarantaine/` — nothing is deleted.
"""
from __future__ import annotations

import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from pipeline.errors import FolderUnavailable
from pipeline.intake import DROP_OUTCOME_FOLDERS

IGNORED_PREFIXES = ("~$", ".", "~")  # Office lock files, hidden and temporary files
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event):
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


class DropFolder:
    def __init__(self, path: Path, *, polling: bool = False, poll_seconds: float = 2.0, stable_seconds: float = 2.0):
        self.path = Path(path)
        self.polling = polling
        self.poll_seconds = poll_seconds
        self.stable_seconds = stable_seconds
        self.changed = threading.Event()
        self._seen: dict[Path, tuple[int, float, float]] = {}  # path → (size, mtime, since)
        self._observer: Optional[Observer] = None
        self.path.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self._observer = PollingObserver(timeout=self.poll_seconds) if self.polling else Observer()
        self._observer.schedule(_Wake(self.changed), str(self.path), recursive=False)
        self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)

    def candidates(self) -> list[Path]:
        if not self.path.is_dir():
            raise FolderUnavailable("de dropmap", self.path)
        return sorted(p for p in self.path.iterdir() if p.is_file() and not p.name.startswith(IGNORED_PREFIXES)
                      and not p.name.lower().endswith(IGNORED_SUFFIXES))

    def ready(self, now: Optional[float] = None) -> list[Path]:
        """Files whose size and mtime have not changed for `stable_seconds`."""
        now = time.monotonic() if now is None else now
        ready, current = [], {}
        for p in self.candidates():
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            prev = self._seen.get(p)
            since = prev[2] if prev and prev[:2] == (st.st_size, st.st_mtime) else now
            current[p] = (st.st_size, st.st_mtime, since)
            if now - since >= self.stable_seconds and st.st_size > 0:
                ready.append(p)
        self._seen = current
        return ready

    def wait_until_stable(self) -> list[Path]:
        """For a single pass: look twice, `stable_seconds` apart."""
        self.ready()
        if not self._seen:
            return []
        time.sleep(self.stable_seconds)
        return self.ready()

    def file_away(self, path: Path, outcome: str, case_id: Optional[str] = None,
                  reasons: Optional[list[str]] = None) -> Optional[Path]:
        """Move a handled file out of the way; refused files get a Dutch '.reden.txt' beside them.
        None when the file is gone already (another worker moved it)."""
        folder = self.path / (outcome if outcome in DROP_OUTCOME_FOLDERS else "quarantaine")
        folder.mkdir(exist_ok=True)
        stem = f"{case_id} " if case_id else f"{datetime.now():%Y%m%d-%H%M%S} "
        target = folder / f"{stem}{path.name}"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{stem}({n}) {path.name}"
        try:
            shutil.move(str(path), target)
        except FileNotFoundError:
            self._seen.pop(path, None)
            return None
        if reasons and outcome != "verwerkt":
            lines = [f"{path.name}: {'geweigerd' if outcome == 'geweigerd' else 'niet verwerkt'}"
                     + (f" (zaak {case_id})" if case_id else ""), ""] + [f"- {r}" for r in reasons]
            target.with_name(target.name + ".reden.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._seen.pop(path, None)
        return target
