"""What the migrations in `versions/` do more than once, said once: add or drop columns
of one table (in one batch, so that SQLite can), and make a table append-only (the
database itself refuses UPDATE and DELETE on it).

The migrations are the schema's history: what these functions run must stay as it is,
or a database made today would differ from one made before. Change nothing here; a
new need gets a new function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

CASE_ID = sa.String(20)  # a case's number (MW-2027-0001), wherever a column holds one
WORKER_ID = sa.String(200)  # a worker as lease holder: host and pid
APPEND_ONLY_FUNCTION = "maatwerk_append_only"  # PostgreSQL, made by migration 0007

# Its text as migration 0007 ran it: PostgreSQL keeps the body (white space and all).
_APPEND_ONLY_BODY = (
    "\n"
    + " " * 22
    + "BEGIN RAISE EXCEPTION 'tabel % mag alleen worden aangevuld', TG_TABLE_NAME; END "
)


class Index(NamedTuple):
    """An index made or dropped in the same batch as the columns it is on."""

    name: str
    columns: Sequence[str] = ()
    unique: bool = False


def add_columns(
    table: str, columns: Sequence[sa.Column[Any]], index: Index | None = None
) -> None:
    """Add the columns to the table, in order, then the index (one batch)."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)
        if index is not None:
            batch.create_index(index.name, list(index.columns), unique=index.unique)


def drop_columns(table: str, names: Sequence[str], index: Index | None = None) -> None:
    """Drop the index, then the columns of the table, in order (one batch)."""
    with op.batch_alter_table(table) as batch:
        if index is not None:
            batch.drop_index(index.name)
        for name in names:
            batch.drop_column(name)


def on_postgresql() -> bool:
    """Whether the migration runs on PostgreSQL (else: SQLite)."""
    return op.get_bind().dialect.name == "postgresql"


def create_append_only_function() -> None:
    """PostgreSQL: the trigger function that refuses the change (SQLite needs none)."""
    if on_postgresql():
        op.execute(
            f"CREATE FUNCTION {APPEND_ONLY_FUNCTION}() RETURNS trigger"
            f" LANGUAGE plpgsql AS $${_APPEND_ONLY_BODY}$$"
        )


def drop_append_only_function() -> None:
    """PostgreSQL: drop the trigger function (after every trigger that uses it)."""
    if on_postgresql():
        op.execute(f"DROP FUNCTION {APPEND_ONLY_FUNCTION}()")


def make_append_only(table: str) -> None:
    """Triggers that refuse UPDATE and DELETE on the table, with a Dutch message (on
    PostgreSQL the function of `create_append_only_function`)."""
    if on_postgresql():
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {APPEND_ONLY_FUNCTION}()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON"
            f" {table} BEGIN SELECT RAISE(ABORT, 'tabel {table} mag alleen"
            " worden aangevuld'); END"
        )


def drop_append_only(table: str) -> None:
    """Drop the triggers of `make_append_only` from the table."""
    if on_postgresql():
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER {table}_no_{action}")
