"""Workflow steps: the case's current step, who was asked in it, crisis and verlenging
marks; advices per step (and ICM's i-code).
"""

import sqlalchemy as sa

from pipeline.store.migrations.ops import CASE_ID, add_columns, drop_columns

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    add_columns(
        "cases",
        [
            sa.Column("stap", sa.Integer, nullable=False, server_default="0"),
            sa.Column("stap_sinds", sa.DateTime(timezone=True)),
            sa.Column("adviseurs_json", sa.Text),
            sa.Column("crisis", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("vorige_zaak", CASE_ID),
            sa.Column("vraag_van", sa.String(40)),
        ],
    )
    add_columns(
        "advices",
        [
            sa.Column("stap", sa.Integer, nullable=False, server_default="0"),
            sa.Column("icode", sa.String(20)),
        ],
    )


def downgrade() -> None:
    drop_columns("advices", ["icode", "stap"])
    drop_columns(
        "cases",
        ["vraag_van", "vorige_zaak", "crisis", "adviseurs_json", "stap_sinds", "stap"],
    )
