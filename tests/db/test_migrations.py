"""Models and migrations never drift, on SQLite (the branch) and PostgreSQL (the centre), and
every migration can be undone cleanly on both.

The comparison uses the migrations' own name filter (`db.migrate.include_name`): the patient
search index (SQLite FTS5 tables) lives outside the models. A filter that hid a model's
table would show up here as an `add_table` difference."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL

from db.engine import Database
from db.migrate import alembic_config, head_revision, include_name
from db.models import Base


def _alembic(connection: Connection, action: str, target: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, target)


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, Base.metadata))


def _model_tables(engine: Engine) -> set[str]:
    """The tables in the database that the models own (search index tables left out)."""
    return {name for name in inspect(engine).get_table_names() if include_name(name, "table", {})}


def _leftovers(engine: Engine) -> tuple[set[str], int]:
    """Every schema object in the database, and how many rows alembic_version holds."""
    inspector = inspect(engine)
    objects = set(inspector.get_table_names()) | set(inspector.get_view_names())
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            objects |= set(
                connection.scalars(
                    text("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')")
                )
            )
        rows = connection.scalar(select(func.count()).select_from(table("alembic_version")))
    return objects, int(rows or 0)


def _upgrade_then_downgrade(engine: Engine) -> tuple[set[str], set[str], int]:
    with engine.begin() as connection:
        _alembic(connection, "upgrade", "head")
    tables_at_head = _model_tables(engine)
    with engine.begin() as connection:
        _alembic(connection, "downgrade", "base")
    objects_at_base, version_rows = _leftovers(engine)
    return tables_at_head, objects_at_base, version_rows


def test_new_sqlite_database_matches_the_models(database: Database) -> None:
    assert _schema_differences(database.engine) == []
    assert _model_tables(database.engine) == set(Base.metadata.tables) | {"alembic_version"}
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()


@pytest.mark.postgres
def test_postgres_database_migrated_to_head_matches_the_models(pg_url: URL) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            _alembic(connection, "upgrade", "head")
        assert _schema_differences(engine) == []
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        assert revision == head_revision()
    finally:
        engine.dispose()


def test_sqlite_upgrade_then_downgrade_leaves_nothing_but_alembic_version(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+pysqlite:///{tmp_path / 'roundtrip.db'}")
    try:
        at_head, at_base, version_rows = _upgrade_then_downgrade(engine)
    finally:
        engine.dispose()
    assert at_head == set(Base.metadata.tables) | {"alembic_version"}
    assert at_base == {"alembic_version"}
    assert version_rows == 0


@pytest.mark.postgres
def test_postgres_upgrade_then_downgrade_leaves_nothing_but_alembic_version(pg_url: URL) -> None:
    engine = create_engine(pg_url)
    try:
        at_head, at_base, version_rows = _upgrade_then_downgrade(engine)
    finally:
        engine.dispose()
    assert at_head == set(Base.metadata.tables) | {"alembic_version"}
    assert at_base == {"alembic_version"}
    assert version_rows == 0


def test_every_sqlite_migration_keeps_the_patient_search_triggers(tmp_path: Path) -> None:
    """Rebuilding `patients` (a batch copy) would drop the triggers that keep its FTS index
    and the index would silently stop finding new patients: each revision keeps them on the
    way up, and from 0008 on the way down too (0006's released downgrade drops them; a
    downgrade past it needs the index rebuilt)."""
    engine = create_engine(f"sqlite+pysqlite:///{tmp_path / 'triggers.db'}")

    def triggers() -> set[str]:
        with engine.connect() as connection:
            return set(
                connection.scalars(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patients'"
                    )
                )
            )

    try:
        with engine.begin() as connection:
            _alembic(connection, "upgrade", "0002")
        expected = triggers()
        assert expected
        for revision in sorted(r for r in _revisions() if r > "0002"):
            with engine.begin() as connection:
                _alembic(connection, "upgrade", revision)
            assert triggers() == expected, f"upgrade to {revision} dropped the search triggers"
            if revision < "0008":
                continue
            with engine.begin() as connection:
                _alembic(connection, "downgrade", "-1")
            assert triggers() == expected, f"downgrade from {revision} dropped them"
            with engine.begin() as connection:
                _alembic(connection, "upgrade", revision)
    finally:
        engine.dispose()


def _revisions() -> set[str]:
    from db.migrate import known_revisions

    return known_revisions()
