"""The mailbox watcher: asks the mailbox backend for new mail every `poll_seconds`.

Push backends (IMAP IDLE, EWS streaming, Graph delta) wake the same loop earlier;
the Maildir backend is polled. One fetch at a time per mailbox: the loop is single-threaded.
"""
from __future__ import annotations

from pipeline.flow import Pipeline, RunReport


class MailboxWatcher:
    def __init__(self, pipeline: Pipeline, poll_seconds: float):
        self.pipeline = pipeline
        self.poll_seconds = poll_seconds

    def poll(self, report: RunReport) -> None:
        self.pipeline.handle_inbox(report)
