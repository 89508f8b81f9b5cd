"""An index on `received.case_id`: the web page Zaak lists the mails taken in on one
case, in a region's years of history."""

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_index("ix_received_case_id", "received", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_received_case_id", table_name="received")
