"""Watchers: what brings work to the pipeline (the mailbox, the drop folder) and the run
loop."""
