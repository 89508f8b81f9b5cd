"""What staff did with each mail held in Quarantaine (`maatwerk quarantaine`): taken back,
released as handled by hand, or deleted — by whom, when and why. Append-only, like `inzage`.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


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
    if (
        op.get_bind().dialect.name == "postgresql"
    ):  # maatwerk_append_only() is of migration 0007
        op.execute(
            "CREATE TRIGGER quarantaine_append_only BEFORE UPDATE OR DELETE ON"
            " quarantaine FOR EACH ROW EXECUTE FUNCTION maatwerk_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER quarantaine_no_{action.lower()} BEFORE {action} ON"
                " quarantaine BEGIN SELECT RAISE(ABORT, 'tabel quarantaine mag alleen"
                " worden aangevuld'); END"
            )


def downgrade() -> None:
    op.drop_table("quarantaine")  # its triggers go with it
