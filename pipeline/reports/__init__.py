"""Reports for the municipalities and ICM (seed 001 steps 13–14), and what the command
line shows of the store:

- `expiry`: verlopend, the mail per gemeente of its contracts that end soon;
- `monitoring`: the year's figures per gemeente (requests, approvals, running contracts
  with their value, reasons), written by `workbook` as an xlsx with native charts;
- `status`: the rows `maatwerk status` prints; `case`: what `maatwerk case` and
  `maatwerk inzage` print.

The queries they run are in `pipeline/store/views.py`.
"""

from pipeline.reports.expiry import expiring, expiring_mail_context

__all__ = ["expiring", "expiring_mail_context"]
