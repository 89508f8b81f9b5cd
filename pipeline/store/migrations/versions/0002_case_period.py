"""Cases keep the client's ZorgNed number and the period, for duplicate checks and
expiry reports.
"""

import sqlalchemy as sa

from pipeline.store.migrations.ops import Index, add_columns, drop_columns

revision = "0002"
down_revision = "0001"


ZORGNED_INDEX = Index("ix_cases_zorgned_nummer", ["zorgned_nummer"])


def upgrade() -> None:
    add_columns(
        "cases",
        [
            sa.Column("zorgned_nummer", sa.String(20)),
            sa.Column("startdatum", sa.Date),
            sa.Column("einddatum", sa.Date),
        ],
        index=ZORGNED_INDEX,
    )


def downgrade() -> None:
    names = ["einddatum", "startdatum", "zorgned_nummer"]
    drop_columns("cases", names, index=ZORGNED_INDEX)
