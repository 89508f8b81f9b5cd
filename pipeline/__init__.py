"""Maatwerk: requests for a maatwerkovereenkomst from mailbox to signed contract.

Stages, one module each in `stages/`: intake → extract → validate → route → advice →
decide → render, and `register/` files the documents. `workflow/` runs them for each
mail or dropped file (`workflow/pipeline.py`); `mail/` holds the mailbox backends,
`store/` all SQL, `reports/` the reports, `region/` the region's rules from `mappings/`.
`watchers/` (the run loop, the drop folder) and `maatwerk/` (the command line) use the
pipeline; it never imports them.
"""

__version__ = "0.1.0"
