"""Engine and unit-of-work sessions. SQLite file by default; DATABASE_URL overrides
(bot/settings.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.settings import ROOT, get_settings

if TYPE_CHECKING:  # alembic is imported where it is used (below)
    from alembic.config import Config


def database_url() -> str:
    return get_settings().database_url


def make_private(url: str) -> None:
    """A SQLite file holds member data: its folder (var/) is 0700 and the file 0600,
    whoever creates it (SQLite gives its -wal and -shm files the file's mode)."""
    if not url.startswith("sqlite"):
        return
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return
    folder = Path(path).parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder == ROOT / "var":
        folder.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    Path(path).chmod(0o600)


_ENGINES: dict[str, Engine] = {}


def engine_for(url: str | None = None) -> Engine:
    """One engine (and pool) per database URL for the whole process."""
    url = url or database_url()
    if url not in _ENGINES:
        _ENGINES[url] = _create_engine(url)
    return _ENGINES[url]


def _create_engine(url: str) -> Engine:
    make_private(url)
    if url.startswith("sqlite"):
        return sqlite_engine(url, ["PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL"], future=True, timeout=15)
    settings = get_settings()
    return create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        pool_size=settings.app_db_pool_size,
        max_overflow=settings.app_db_max_overflow,
    )


def dispose_engines() -> None:
    """Close every pooled connection (tests drop their databases afterwards)."""
    for url in list(_ENGINES):
        _ENGINES.pop(url).dispose()
    _sessionmaker.cache_clear()


def sqlite_engine(url: Any, pragmas: list[str], timeout: float = 5, **options: Any) -> Engine:
    """An engine on a SQLite file whose connections are pooled (SQLAlchemy 1.4 opens a new
    one per session on a file database) and get `pragmas` when they open."""
    engine = create_engine(
        url, poolclass=QueuePool, connect_args={"check_same_thread": False, "timeout": timeout}, **options
    )

    def on_connect(dbapi_conn: Any, _record: Any) -> None:  # DB-API objects, untyped
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(pragma)
        cur.close()

    event.listen(engine, "connect", on_connect)
    return engine


@lru_cache(maxsize=16)
def _sessionmaker(url: str | None) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    session = _sessionmaker(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Alembic is imported where it is used: only migrations need it, not every process
# that opens a session.
def _alembic_config(url: str | None) -> Config:
    from alembic.config import Config

    url = url or database_url()
    make_private(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (never create_all)."""
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(_alembic_config(url), revision)
