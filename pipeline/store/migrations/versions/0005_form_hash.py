"""The SHA-256 of each case's form: the same form sent twice makes one case (unique index).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("form_sha256", sa.String(64)))
        batch.create_index("ux_cases_form_sha256", ["form_sha256"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ux_cases_form_sha256")
        batch.drop_column("form_sha256")
