"""Several workers on one store: leases on mails and files being handled (expire when a
worker dies) and a claim on each outbox mail being sent.
"""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import WORKER_ID, add_columns, drop_columns

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("holder", WORKER_ID, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    add_columns(
        "outbox",
        [
            sa.Column("claimed_by", WORKER_ID),
            sa.Column("claimed_until", sa.DateTime(timezone=True)),
        ],
    )


def downgrade() -> None:
    drop_columns("outbox", ["claimed_until", "claimed_by"])
    op.drop_table("leases")
