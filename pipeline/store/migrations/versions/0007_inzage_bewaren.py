"""Who processed or viewed which case, when and why (`inzage`), and the mark of a case
whose personal data were removed after the retention period (`cases.opgeschoond_op`).
The case history (`audit`) and `inzage` are append-only: the database itself refuses
UPDATE and DELETE on them.
"""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import (
    CASE_ID,
    add_columns,
    create_append_only_function,
    drop_append_only,
    drop_append_only_function,
    drop_columns,
    make_append_only,
)

revision = "0007"
down_revision = "0006"

APPEND_ONLY = ("audit", "inzage")


def upgrade() -> None:
    op.create_table(
        "inzage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", CASE_ID, nullable=False, index=True),
        sa.Column("wie", sa.String(200), nullable=False),
        sa.Column("actie", sa.String(40), nullable=False),
        sa.Column("reden", sa.Text, nullable=False),
        sa.Column("bron", sa.String(500)),
    )
    add_columns("cases", [sa.Column("opgeschoond_op", sa.Date)])
    create_append_only_function()
    for table in APPEND_ONLY:
        make_append_only(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_append_only(table)
    drop_append_only_function()
    drop_columns("cases", ["opgeschoond_op"])
    op.drop_table("inzage")
