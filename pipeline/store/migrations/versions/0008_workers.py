"""The running workers and what each waits on (an outage), for `maatwerk status`."""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import WORKER_ID

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", WORKER_ID, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_on", sa.String(200)),
        sa.Column("waiting_since", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("workers")
