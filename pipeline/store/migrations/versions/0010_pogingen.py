"""Attempts per mail (`pogingen`), for setting a poison mail aside in Quarantaine."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    """Per mail: how often handling it began and failed, the outage it waits on, and
    when it was set aside in Quarantaine as a poison mail (`[intake] max_pogingen`)."""
    op.create_table(
        "pogingen",
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("waiting_on", sa.String(200)),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("pogingen")
