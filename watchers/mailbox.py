"""The mailbox watcher: reads the inbox when the backend's `watch()` says new mail may
be there — IMAP IDLE at once, EWS pull notifications within `pull_seconds`, every
`[mailbox] poll_seconds` in any case (Graph's delta query and the Maildir backend are
polled).

`watch()` blocks, so it runs in a thread of its own; the run loop reads the inbox
(`poll`) when `due` is set, one fetch at a time per mailbox.
"""

from __future__ import annotations

import logging
import threading

from pipeline.errors import safe_error
from pipeline.workflow.pipeline import Pipeline, RunReport

log = logging.getLogger(f"maatwerk.{__name__}")


class MailboxWatcher:
    def __init__(
        self,
        pipeline: Pipeline,
        poll_seconds: float,
        wake: tuple[threading.Event, ...] = (),
    ):
        self.pipeline = pipeline
        self.poll_seconds = poll_seconds
        self.wake = wake  # set with `due`, to wake the run loop's wait
        self.due = threading.Event()  # read the inbox now
        self.due.set()  # the first round reads it at once
        self._polled = threading.Event()
        self._stop = threading.Event()

    def poll(self, report: RunReport) -> None:
        """Handle what waits in the inbox now (the outages of the store, the register
        and the mail server raise: the round ends)."""
        self.due.clear()
        self._polled.set()
        self.pipeline.handle_inbox(report)

    def start(self) -> None:
        """Watch the mailbox in a thread until `stop`."""
        threading.Thread(target=self._watch, name="mailbox-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.is_set():
            # watch from the moment a round reads the inbox: a poll every
            # poll_seconds, and no asking again before the loop has read what was
            # announced
            while not self._polled.wait(1.0):
                if self._stop.is_set():
                    return
            self._polled.clear()
            try:
                self.pipeline.mailbox.watch(self.poll_seconds)
            except Exception as exc:  # the round that reads the inbox notices too
                log.warning("watching the mailbox failed (%s)", safe_error(exc))
                self._stop.wait(self.poll_seconds)
            self.due.set()
            for event in self.wake:
                event.set()
