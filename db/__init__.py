"""Persistence: SQLAlchemy models, Alembic migrations, opening databases, queries."""
