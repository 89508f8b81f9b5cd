"""The SHA-256 of each case's form: the same form sent twice makes one case (unique
index).
"""

import sqlalchemy as sa

from pipeline.store.migrations.ops import Index, add_columns, drop_columns

revision = "0005"
down_revision = "0004"


ONE_CASE_A_FORM = Index("ux_cases_form_sha256", ["form_sha256"], unique=True)


def upgrade() -> None:
    form_hash = sa.Column("form_sha256", sa.String(64))
    add_columns("cases", [form_hash], index=ONE_CASE_A_FORM)


def downgrade() -> None:
    drop_columns("cases", ["form_sha256"], index=ONE_CASE_A_FORM)
