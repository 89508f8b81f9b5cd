"""Workflow steps: the case's current step, who was asked in it, crisis and verlenging marks;
advices per step (and ICM's i-code).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("stap", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("stap_sinds", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("adviseurs_json", sa.Text))
        batch.add_column(
            sa.Column("crisis", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("vorige_zaak", sa.String(20)))
        batch.add_column(sa.Column("vraag_van", sa.String(40)))
    with op.batch_alter_table("advices") as batch:
        batch.add_column(
            sa.Column("stap", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("icode", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("advices") as batch:
        batch.drop_column("icode")
        batch.drop_column("stap")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "vraag_van",
            "vorige_zaak",
            "crisis",
            "adviseurs_json",
            "stap_sinds",
            "stap",
        ):
            batch.drop_column(column)
