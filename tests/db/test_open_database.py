"""Opening a database file: what is not ours is refused untouched, with a sentence that says
why; an older database is copied aside before it is upgraded; a new one is created."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

import db.migrate
from db.migrate import DatabaseRefused, head_revision, include_name, open_database
from db.models import Base, Branch

NOW = datetime(2025, 4, 1, 4, 0, tzinfo=UTC)
# Set on files before a refusal: any write would move their mtime to the present.
LONG_AGO_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09


def _freeze_mtime(path: Path) -> None:
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))


def _state(path: Path) -> tuple[object, int]:
    """What must not change: the file's bytes (a directory's listing) and its mtime."""
    content = sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()
    return content, path.stat().st_mtime_ns


def _assert_readable_sentence(message: str, path: Path, *phrases: str) -> None:
    assert str(path) in message
    for phrase in phrases:
        assert phrase in message
    assert "\n" not in message and "Traceback" not in message
    assert message[0].isupper() or message.startswith("/")
    assert message.endswith(".")


def _assert_refused_untouched(path: Path, *phrases: str) -> None:
    _freeze_mtime(path)
    before = _state(path)
    folder_before = sorted(os.listdir(path.parent))

    with pytest.raises(DatabaseRefused) as refused:
        open_database(path)

    assert _state(path) == before
    assert before[1] == LONG_AGO_NS
    assert sorted(os.listdir(path.parent)) == folder_before  # no backup, no journal
    _assert_readable_sentence(str(refused.value), path, *phrases)


def _write_sqlite(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def _make_frontdesk_database(path: Path) -> None:
    database = open_database(path)
    try:
        with database.session(write=True) as session, session.begin():
            session.add(Branch(name="Indiranagar", created_at=NOW, updated_at=NOW))
    finally:
        database.close()


def test_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_text("invoice,total\nSVC-1,500\n", encoding="utf-8")
    _assert_refused_untouched(path, "is not a Frontdesk database", "not an SQLite file")


def test_path_that_cannot_be_read_is_refused_untouched(tmp_path: Path) -> None:
    # A directory cannot be read as a file, even by root (who ignores chmod 000).
    path = tmp_path / "branch.db"
    path.mkdir()
    (path / "inside.txt").write_text("keep me", encoding="utf-8")
    _assert_refused_untouched(path, "cannot read")
    assert (path / "inside.txt").read_text(encoding="utf-8") == "keep me"


def _readable_despite_permissions(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except PermissionError:
        return False


def test_file_without_read_permission_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    content = path.read_bytes()
    folder_before = sorted(os.listdir(tmp_path))
    path.chmod(0)
    try:
        if _readable_despite_permissions(path):
            pytest.skip(
                "this user reads files whatever their permissions (root); "
                "test_path_that_cannot_be_read_is_refused_untouched covers unreadable paths"
            )
        _freeze_mtime(path)
        with pytest.raises(DatabaseRefused) as refused:
            open_database(path)
        assert path.stat().st_mode & 0o777 == 0
        assert path.stat().st_mtime_ns == LONG_AGO_NS
    finally:
        path.chmod(0o600)
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path)) == folder_before
    _assert_readable_sentence(str(refused.value), path, "cannot read", "permissions")


def test_sqlite_database_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "contacts.db"
    _write_sqlite(
        path,
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO contacts (name) VALUES ('Asha')",
    )
    _assert_refused_untouched(path, "another program")


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    _write_sqlite(path, "UPDATE alembic_version SET version_num = 'ffff_future'")
    _freeze_mtime(path)
    before = _state(path)
    folder_before = sorted(os.listdir(tmp_path))

    with pytest.raises(DatabaseRefused) as refused:
        open_database(path)

    assert _state(path) == before
    # Not even SQLite's -wal/-shm files appear beside a refused file.
    assert sorted(os.listdir(tmp_path)) == folder_before
    _assert_readable_sentence(
        str(refused.value), path, "newer version of Frontdesk", "ffff_future", "untouched"
    )


def test_new_database_is_created_at_head_without_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "clinic" / "branch.db"
    database = open_database(path)
    try:
        with database.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == head_revision()
        tables = inspect(database.engine).get_table_names()
        assert {t for t in tables if include_name(t, "table", {})} == set(Base.metadata.tables) | {
            "alembic_version"
        }
    finally:
        database.close()
    assert not list(path.parent.glob("*before-upgrade*"))


def test_database_at_head_opens_without_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    database = open_database(path)
    try:
        with database.session(write=False) as session:
            assert session.scalars(select(Branch.name)).all() == ["Indiranagar"]
    finally:
        database.close()
    assert not list(tmp_path.glob("*before-upgrade*"))


PROBE_REVISION = '''\
"""probe: a table that gains a column

Revision ID: 9999_probe
Revises: {down_revision}
"""

import sqlalchemy as sa
from alembic import op

revision = "9999_probe"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("t_probe", sa.Column("id", sa.Integer(), primary_key=True))
    with op.batch_alter_table("t_probe") as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_table("t_probe")
'''

STAMP = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def released_head() -> str:
    """The newest revision this version ships: what a database made today is at."""
    return head_revision()


@pytest.fixture
def next_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, released_head: str
) -> Iterator[Callable[[], None]]:
    """Returns a switch to "the next Frontdesk": today's migrations plus a probe revision."""
    copy = tmp_path / "next-migrations"
    shutil.copytree(db.migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = PROBE_REVISION.format(down_revision=released_head)
    (copy / "versions" / "9999_probe.py").write_text(probe, encoding="utf-8")

    def switch() -> None:
        monkeypatch.setattr(db.migrate, "MIGRATIONS_DIR", copy)
        db.migrate._scripts.cache_clear()
        assert head_revision() == "9999_probe"

    yield switch
    db.migrate._scripts.cache_clear()


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_older_database_is_copied_aside_then_upgraded(
    tmp_path: Path, released_head: str, next_version: Callable[[], None]
) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)  # at today's head, with one branch
    next_version()

    database = open_database(path, now=STAMP)
    try:
        with database.session(write=False) as session:
            version = session.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == "9999_probe"
            assert session.scalars(select(Branch.name)).all() == ["Indiranagar"]
        probe_columns = {c["name"] for c in inspect(database.engine).get_columns("t_probe")}
        assert probe_columns == {"id", "label"}
    finally:
        database.close()

    backups = sorted(p.name for p in tmp_path.glob("branch.before-upgrade-*"))
    assert backups == [f"branch.before-upgrade-{released_head}-20250506T070809Z.db"]
    backup = _read_only(tmp_path / backups[0])
    try:
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        version_rows = backup.execute("SELECT version_num FROM alembic_version").fetchall()
        assert version_rows == [(released_head,)]
        assert backup.execute("SELECT name FROM branches").fetchall() == [("Indiranagar",)]
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master")}
        assert "t_probe" not in tables
        assert set(Base.metadata.tables) <= tables
    finally:
        backup.close()


def test_upgraded_database_is_not_copied_again_on_the_next_open(
    tmp_path: Path, released_head: str, next_version: Callable[[], None]
) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    next_version()
    open_database(path, now=STAMP).close()
    open_database(path, now=STAMP.replace(day=7)).close()
    assert [p.name for p in tmp_path.glob("branch.before-upgrade-*")] == [
        f"branch.before-upgrade-{released_head}-20250506T070809Z.db"
    ]


FAILING_REVISION = PROBE_REVISION.replace(
    """        batch_op.add_column(sa.Column("label", sa.String(length=40), nullable=True))""",
    """        batch_op.add_column(sa.Column("label", sa.String(length=40), nullable=True))
    raise RuntimeError("the disk went away half-way")""",
)


def test_a_failed_upgrade_leaves_the_file_as_it_was_and_this_version_still_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, released_head: str
) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    copy = tmp_path / "next-migrations"
    shutil.copytree(db.migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    failing = FAILING_REVISION.format(down_revision=released_head)
    (copy / "versions" / "9999_probe.py").write_text(failing, encoding="utf-8")
    with monkeypatch.context() as patched:
        patched.setattr(db.migrate, "MIGRATIONS_DIR", copy)
        db.migrate._scripts.cache_clear()
        with pytest.raises(DatabaseRefused) as refused:
            open_database(path, now=STAMP)
    db.migrate._scripts.cache_clear()

    _assert_readable_sentence(
        str(refused.value), path, "failed (RuntimeError)", f"schema {released_head}", "support"
    )
    still = _read_only(path)
    try:
        assert still.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert still.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (released_head,)
        ]
        tables = {row[0] for row in still.execute("SELECT name FROM sqlite_master")}
        assert "t_probe" not in tables
    finally:
        still.close()
    # The version that made it (today's) opens it as before.
    database = open_database(path, now=STAMP)
    try:
        with database.session(write=False) as session:
            assert session.scalars(select(Branch.name)).all() == ["Indiranagar"]
    finally:
        database.close()


def test_a_damaged_database_is_not_upgraded_and_says_so(
    tmp_path: Path, next_version: Callable[[], None]
) -> None:
    path = tmp_path / "branch.db"
    _make_frontdesk_database(path)
    _write_sqlite(
        path,
        "CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT)",
        "CREATE INDEX ix_filler ON filler (text)",
        *(f"INSERT INTO filler (text) VALUES ('{'x' * 200}{n}')" for n in range(400)),
    )
    con = sqlite3.connect(path)
    try:
        [page_size] = con.execute("PRAGMA page_size").fetchone()
        [root] = con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_filler'"
        ).fetchone()
    finally:
        con.close()
    with path.open("r+b") as handle:  # the index's root page goes bad past its header
        handle.seek((root - 1) * page_size + 12)
        handle.write(b"\x00\xff" * 300)
    next_version()

    with pytest.raises(DatabaseRefused) as refused:
        open_database(path, now=STAMP)

    _assert_readable_sentence(str(refused.value), path, "was not upgraded", "backup")
    assert not list(tmp_path.glob("branch.before-upgrade-*"))
    with _read_only(path) as still:
        assert (
            still.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "9999_probe"
        )


def test_the_head_and_the_known_revisions_read_from_the_files_are_alembics() -> None:
    scripts = db.migrate._scripts()

    assert head_revision() == scripts.get_current_head()
    assert db.migrate.known_revisions() == {rev.revision for rev in scripts.walk_revisions()}


def test_a_database_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    # Every start of the app opens one; Alembic is ~0.1 s of start-up it does not need.
    path = tmp_path / "frontdesk.db"
    open_database(path, now=NOW).close()
    probe = (
        "import sys; from pathlib import Path; from db.migrate import open_database; "
        f"open_database(Path({str(path)!r})).close(); print('alembic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )

    assert done.stdout.strip() == "False"
