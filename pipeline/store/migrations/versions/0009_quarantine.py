"""What staff did with each mail held in Quarantaine (`maatwerk quarantaine`): taken
back, released as handled by hand, or deleted — by whom, when and why. Append-only, like
`inzage`.
"""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import make_append_only

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "quarantaine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dedupe_key", sa.String(600), nullable=False, index=True),
        sa.Column("actie", sa.String(40), nullable=False),
        sa.Column("wie", sa.String(200), nullable=False),
        sa.Column("reden", sa.Text),
    )
    make_append_only("quarantaine")  # on PostgreSQL with the function of 0007


def downgrade() -> None:
    op.drop_table("quarantaine")  # its triggers go with it
