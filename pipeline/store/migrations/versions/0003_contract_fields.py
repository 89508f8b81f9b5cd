"""Contract facts on the case (maatwerk product code, total value, signatory, signing date) for the
register index and reports; and the record of scheduled reports already sent.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("productcode", sa.String(10)))
        batch.add_column(sa.Column("waarde", sa.String(20)))
        batch.add_column(sa.Column("ondertekenaar", sa.String(100)))
        batch.add_column(sa.Column("getekend_op", sa.Date))
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report", sa.String(40), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("report", "period"),
    )


def downgrade() -> None:
    op.drop_table("report_runs")
    with op.batch_alter_table("cases") as batch:
        for column in ("getekend_op", "ondertekenaar", "waarde", "productcode"):
            batch.drop_column(column)
