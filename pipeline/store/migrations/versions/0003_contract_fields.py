"""Contract facts on the case (maatwerk product code, total value, signatory, signing
date) for the register index and reports; and the record of scheduled reports already
sent.
"""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import add_columns, drop_columns

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    add_columns(
        "cases",
        [
            sa.Column("productcode", sa.String(10)),
            sa.Column("waarde", sa.String(20)),
            sa.Column("ondertekenaar", sa.String(100)),
            sa.Column("getekend_op", sa.Date),
        ],
    )
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
    drop_columns("cases", ["getekend_op", "ondertekenaar", "waarde", "productcode"])
