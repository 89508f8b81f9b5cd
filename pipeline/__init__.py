"""Maatwerk: requests for a maatwerkovereenkomst from mailbox to signed contract.

Stages, one module each: intake → extract → validate → route → advice → decide
→ render → register. `flow` wires them together; `cli` is a thin shell.
"""

__version__ = "0.1.0"
