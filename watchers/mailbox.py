"""The mailbox watcher: asks the mailbox backend for new mail every `poll_seconds`.

IMAP IDLE wakes the loop at once; EWS pull notifications are asked every few seconds;
Graph's delta query and the Maildir backend are polled. One fetch at a time per mailbox:
the loop is single-threaded, and each backend holds a lock around its fetch.
"""

from __future__ import annotations

from pipeline.workflow.pipeline import Pipeline, RunReport


class MailboxWatcher:
    def __init__(self, pipeline: Pipeline, poll_seconds: float):
        self.pipeline = pipeline
        # a backend with cheap change checks (EWS pull notifications) is asked more
        # often
        self.poll_seconds = (
            getattr(pipeline.mailbox, "poll_seconds", None) or poll_seconds
        )

    def poll(self, report: RunReport) -> None:
        self.pipeline.handle_inbox(report)
