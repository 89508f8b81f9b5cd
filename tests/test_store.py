"""The case store: explicit states, and no transition without its audit record."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import store
from pipeline.errors import InvalidTransition
from pipeline.states import CaseState


def test_case_ids_count_per_year_and_transitions_are_audited(tmp_path):
    st = store.Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    at = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with st.session() as s:
        ids = [
            store.create_case(
                s,
                received_at=at,
                year=at.year,
                source="mail",
                source_ref=f"<{i}@x>",
                sender=None,
                form_filename=None,
                what="test",
            ).id
            for i in range(3)
        ]
        other_year = store.create_case(
            s,
            received_at=at.replace(year=2028),
            year=at.replace(year=2028).year,
            source="mail",
            source_ref="<y@x>",
            sender=None,
            form_filename=None,
            what="test",
        ).id
    assert (
        ids == ["MW-2027-0001", "MW-2027-0002", "MW-2027-0003"]
        and other_year == "MW-2028-0001"
    )
    with st.session() as s:
        case = store.get_case(s, "MW-2027-0001")
        store.transition(
            s, case, CaseState.advies_gevraagd, source="<1@x>", what="advies gevraagd"
        )
        with pytest.raises(InvalidTransition):
            store.transition(
                s, case, CaseState.getekend, source="<1@x>", what="te vroeg"
            )
    with st.session() as s:
        case = store.get_case(s, "mw-2027-0001")
        assert case.state == "advies_gevraagd"
        assert [(e.from_state, e.to_state) for e in case.events] == [
            (None, "ontvangen"),
            ("ontvangen", "advies_gevraagd"),
        ]
    st.close()
    # reopening applies no migration twice and keeps everything
    st2 = store.Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with st2.session() as s:
        assert len(store.open_cases(s)) == 4
    st2.close()


def test_a_failed_transaction_leaves_no_case_and_no_gap(tmp_path):
    st = store.Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    at = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        with st.session() as s:
            store.create_case(
                s,
                received_at=at,
                year=at.year,
                source="mail",
                source_ref="<1@x>",
                sender=None,
                form_filename=None,
                what="test",
            )
            raise RuntimeError("crash before commit")
    with st.session() as s:
        case = store.create_case(
            s,
            received_at=at,
            year=at.year,
            source="mail",
            source_ref="<1@x>",
            sender=None,
            form_filename=None,
            what="test",
        )
        assert case.id == "MW-2027-0001"
    st.close()


def test_migrations_upgrade_an_older_database(tmp_path):
    """A database made by migration 0001 is brought to the newest schema on open."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(store.__file__).parent / "migrations")
    )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert "zorgned_nummer" not in {
        c["name"] for c in inspect(engine).get_columns("cases")
    }
    engine.dispose()
    st = store.Store(url)
    assert "zorgned_nummer" in {
        c["name"] for c in inspect(st.engine).get_columns("cases")
    }
    st.close()


def test_a_schema_upgrade_that_breaks_off_leaves_no_half_schema(tmp_path, monkeypatch):
    """SQLite runs DDL outside transactions unless told: a run killed while making the
    schema left half of it ('table cases already exists' at every later start; found by
    bench/kill_trials).
    """
    from alembic.operations import Operations

    real = Operations.create_table
    made = []

    def breaks_off(self, name, *columns, **kw):
        if made:
            raise KeyboardInterrupt  # as a kill between two tables
        made.append(name)
        return real(self, name, *columns, **kw)

    url = f"sqlite:///{tmp_path / 'm.db'}"
    monkeypatch.setattr(Operations, "create_table", breaks_off)
    with pytest.raises(KeyboardInterrupt):
        store.Store(url)
    monkeypatch.setattr(Operations, "create_table", real)
    st = store.Store(url)  # starts again from nothing
    with st.session() as s:
        assert store.open_cases(s) == []
    st.close()
