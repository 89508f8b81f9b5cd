"""Who processed or viewed which case, when and why (`inzage`), and the mark of a case whose
personal data were removed after the retention period (`cases.opgeschoond_op`). The case history
(`audit`) and `inzage` are append-only: the database itself refuses UPDATE and DELETE on them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit", "inzage")


def upgrade() -> None:
    op.create_table(
        "inzage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.String(20), nullable=False, index=True),
        sa.Column("wie", sa.String(200), nullable=False),
        sa.Column("actie", sa.String(40), nullable=False),
        sa.Column("reden", sa.Text, nullable=False),
        sa.Column("bron", sa.String(500)),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("opgeschoond_op", sa.Date))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """CREATE FUNCTION maatwerk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN RAISE EXCEPTION 'tabel % mag alleen worden aangevuld', TG_TABLE_NAME; END $$"""
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION maatwerk_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON"
                    f" {table} BEGIN SELECT RAISE(ABORT, 'tabel {table} mag alleen"
                    " worden aangevuld'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION maatwerk_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("opgeschoond_op")
    op.drop_table("inzage")
