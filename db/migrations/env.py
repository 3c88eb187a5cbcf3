"""Alembic environment: runs on a connection handed in by db.migrate (or a URL for tooling)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.types import TypeDecorator

from db.migrate import include_name
from db.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations are frozen history: write our TypeDecorators as the plain types they store.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance
        zone = "timezone=True" if getattr(impl, "timezone", False) else ""
        return f"sa.{type(impl).__name__}({zone})"
    return False


def run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
