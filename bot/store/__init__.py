"""Storage: SQLAlchemy models, one session per unit of work, Alembic migrations."""

from bot.store.db import engine_for, migrate, session_scope

__all__ = ["engine_for", "migrate", "session_scope"]
