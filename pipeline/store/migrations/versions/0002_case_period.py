"""Cases keep the client's ZorgNed number and the period, for duplicate checks and expiry reports.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("zorgned_nummer", sa.String(20)))
        batch.add_column(sa.Column("startdatum", sa.Date))
        batch.add_column(sa.Column("einddatum", sa.Date))
        batch.create_index("ix_cases_zorgned_nummer", ["zorgned_nummer"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_zorgned_nummer")
        batch.drop_column("einddatum")
        batch.drop_column("startdatum")
        batch.drop_column("zorgned_nummer")
