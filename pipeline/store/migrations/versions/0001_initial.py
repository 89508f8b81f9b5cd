"""Initial schema: cases, audit, advices, case counters, received items, outbox."""

import sqlalchemy as sa
from alembic import op

from pipeline.store.migrations.ops import CASE_ID

revision = "0001"
down_revision = None

TZ = sa.DateTime(timezone=True)


def case_id() -> sa.Column:
    """The case an audit line or an advice is about (a new column for each table)."""
    return sa.Column(
        "case_id", CASE_ID, sa.ForeignKey("cases.id"), nullable=False, index=True
    )


def upgrade() -> None:
    for create in (_cases, _audit, _advices, _case_counters, _received, _outbox):
        create()


def _cases() -> None:
    op.create_table(
        "cases",
        sa.Column("id", CASE_ID, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("state", sa.String(32), nullable=False, index=True),
        sa.Column("gemeente", sa.String(100)),
        sa.Column("aanbieder", sa.String(200)),
        sa.Column("spoed", sa.Boolean, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("sender", sa.String(320)),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("source_ref", sa.String(500), nullable=False),
        sa.Column("form_filename", sa.String(300)),
        sa.Column("record_json", sa.Text),
        sa.Column("meldingen_json", sa.Text, nullable=False),
        sa.Column("register_dir", sa.String(500)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("year", "seq"),
    )


def _audit() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        case_id(),
        sa.Column("at", TZ, nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32)),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
    )


def _advices() -> None:
    op.create_table(
        "advices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        case_id(),
        sa.Column("rol", sa.String(32), nullable=False),
        sa.Column("oordeel", sa.String(16), nullable=False),
        sa.Column("toelichting", sa.Text),
        sa.Column("productcode", sa.String(10)),
        sa.Column("tarief_bedrag", sa.String(20)),
        sa.Column("tarief_eenheid", sa.String(10)),
        sa.Column("sender", sa.String(320), nullable=False),
        sa.Column("message_id", sa.String(500)),
        sa.Column("received_at", TZ, nullable=False),
    )


def _case_counters() -> None:
    op.create_table(
        "case_counters",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer, nullable=False),
    )


def _received() -> None:
    op.create_table(
        "received",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(600), nullable=False, unique=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("source_ref", sa.String(500), nullable=False),
        sa.Column("case_id", CASE_ID),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(500), nullable=False, unique=True),
        sa.Column("case_id", CASE_ID, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
    )


def downgrade() -> None:
    for table in ("outbox", "received", "case_counters", "advices", "audit", "cases"):
        op.drop_table(table)
