"""Opening a database file safely: refuse what is not ours, back up, then upgrade.

A file that is not SQLite, or that cannot be read, is refused without being touched. A
database written by a newer Frontdesk (a revision our migrations do not know) is refused.
A database on an older revision is copied aside (with SQLite's backup API, so the copy is
consistent even in WAL mode) and then upgraded with Alembic.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine

from db.engine import Database, create_sqlite_engine, sqlite_url
from domain.errors import Refused
from domain.log import db as log

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (~0.1 s to import) is imported where a migration runs or a schema is compared,
# not by opening a database that is already at the head: that is every start of the app.
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables that belong to the patient search index (FTS5), not to the models.
SEARCH_TABLE_PREFIX = "patients_fts"


class DatabaseRefused(Refused):
    """The file cannot be opened as a Frontdesk database; the message says why and what to do."""


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    # The migrations folder does not change while the program runs: read it once.
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"']([\w-]+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:: *[^=]+)? *= *(?:None|[\"']([\w-]+)[\"'])\s*$", re.MULTILINE
)


@functools.cache
def _revision_chain(versions: Path) -> tuple[str, frozenset[str]] | None:
    """(head, every revision) read from the versions' `revision = ...` and `down_revision =
    ...` lines without Alembic, or None when a file says something else (a merge, a
    computed id): then Alembic reads them."""
    revisions, downs = set(), set()
    for path in versions.glob("*.py"):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(text), _DOWN_REVISION.findall(text)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            downs.add(down[0])
    heads = revisions - downs
    if len(heads) != 1 or not downs <= revisions:
        return None
    return heads.pop(), frozenset(revisions)


def head_revision() -> str:
    chain = _revision_chain(MIGRATIONS_DIR / "versions")
    if chain is not None:
        return chain[0]
    head = _scripts().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    chain = _revision_chain(MIGRATIONS_DIR / "versions")
    if chain is not None:
        return set(chain[1])
    return {rev.revision for rev in _scripts().walk_revisions()}


def _check_sqlite_file(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseRefused(
            f"Frontdesk cannot read {path} ({exc.strerror}). Check the file's permissions."
        ) from exc
    if header and header != SQLITE_MAGIC:
        raise DatabaseRefused(
            f"{path} is not a Frontdesk database (it is not an SQLite file). "
            "Choose another file; this one was left untouched."
        )


def _check_writable(path: Path) -> None:
    """Frontdesk writes the file and, beside it, SQLite's journal (-wal, -shm): say which
    of the two it may not write before anything is tried."""
    if not os.access(path, os.W_OK):
        raise DatabaseRefused(
            f"{path} can only be read, and Frontdesk needs to write to it. Check the file's "
            "permissions (or that the drive is not read-only); it was left untouched."
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseRefused(
            f"Frontdesk cannot write in the folder {path.parent}, where the database keeps "
            f"its journal beside {path.name}. Check the folder's permissions; the file was "
            "left untouched."
        )


def current_revision(path: Path) -> str | None:
    """The Alembic revision recorded in the file, or None for an empty database."""
    # immutable: reading the revision of a WAL database must not leave -wal/-shm files
    # beside a file that is then refused (a copy being upgraded is opened normally).
    uri = f"file:{path}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DatabaseRefused(f"Frontdesk cannot open {path}: {exc}.") from exc
    try:
        tables = {
            row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "alembic_version" not in tables:
            if tables:
                raise DatabaseRefused(
                    f"{path} is an SQLite database of another program, not Frontdesk's. "
                    "Choose another file; this one was left untouched."
                )
            return None
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise DatabaseRefused(
            f"{path} cannot be read as a database ({exc}). It may be damaged; "
            "restore it from a backup."
        ) from exc
    finally:
        con.close()


def backup_path(path: Path, revision: str, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}{path.suffix}")


def copy_aside(path: Path, target: Path) -> None:
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Alembic filter: the FTS5 index of patients (migration 0002) lives outside the models."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIX))


def schema_differences(connection: Connection) -> list[Any]:
    """What Alembic's autogenerate sees between the models and the connected database."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from db.models import Base

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, _parents: (
                not (type_ == "table" and name.startswith(SEARCH_TABLE_PREFIX))
            ),
        },
    )
    return list(compare_metadata(context, Base.metadata))


def upgrade(path: Path) -> None:
    from alembic import command

    engine = create_engine(sqlite_url(path))
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def _check_copy(path: Path, copy: Path) -> None:
    """The copy taken before an upgrade is only worth taking if it is whole; a damaged one
    means the database is damaged, and it is not upgraded."""
    con = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
    try:
        problems = [row[0] for row in con.execute("PRAGMA integrity_check").fetchmany(3)]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        con.close()
    if problems != ["ok"]:
        copy.unlink(missing_ok=True)
        raise DatabaseRefused(
            f"{path} did not pass its check before the upgrade ({problems[0]}), so it was not "
            "upgraded. It may be damaged; restore it from a backup."
        )


def _upgrade_failed(path: Path, revision: str | None, copy: Path | None, error: Exception) -> None:
    """An upgrade that failed leaves the file as it was: the copy taken before it is put
    back whole (SQLite's driver commits each schema change on its own, so a rollback alone
    would keep the first steps of a half-done upgrade). Then the refusal, in a sentence."""
    log.error("upgrading %s from %s failed", path, revision, exc_info=error)
    if copy is not None:
        copy_aside(copy, path)
        log.info("put %s back from %s", path, copy)
    if revision is None:
        raise DatabaseRefused(
            f"Frontdesk could not create its tables in {path} ({type(error).__name__}). "
            "Check the disk and try again."
        ) from error
    raise DatabaseRefused(
        f"Upgrading {path} to this version of Frontdesk failed ({type(error).__name__}); "
        f"the database was left as it was (schema {revision}), with a copy at {copy}. "
        "The previous version of Frontdesk still opens it; call support."
    ) from error


def open_database(path: Path, *, now: datetime | None = None) -> Database:
    """Open (creating if needed) the Frontdesk database at `path`, upgraded to our schema."""
    path = Path(path)
    if path.exists():
        _check_sqlite_file(path)
        _check_writable(path)
        revision = current_revision(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        revision = None
    head = head_revision()
    if revision is not None and revision != head and revision not in known_revisions():
        raise DatabaseRefused(
            f"{path} was written by a newer version of Frontdesk (schema {revision}). "
            "Install the newer version to open it; the file was left untouched."
        )
    if revision != head:
        target = None
        if revision is not None:
            target = backup_path(path, revision, now or datetime.now(UTC))
            copy_aside(path, target)
            _check_copy(path, target)
            log.info("copied %s to %s before upgrading from %s", path, target, revision)
        try:
            upgrade(path)
        except Exception as exc:
            _upgrade_failed(path, revision, target, exc)
        log.info("upgraded %s to schema %s", path, head)
    return Database(path, create_sqlite_engine(path))
