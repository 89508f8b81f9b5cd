"""The running workers and what each waits on (an outage), for `maatwerk status`.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_on", sa.String(200)),
        sa.Column("waiting_since", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("workers")
