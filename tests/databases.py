"""Test databases: a SQLite file, or a fresh PostgreSQL database on the local server
(127.0.0.1:5432, trust auth), created for the run and dropped after."""

from __future__ import annotations

import os
import uuid

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
_created: list[str] = []


def postgres_unavailable() -> str | None:
    """None when the local PostgreSQL server answers, else why not."""
    try:
        import psycopg2

        psycopg2.connect(ADMIN_URL, connect_timeout=3).close()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no server to test against
        return f"PostgreSQL not reachable at {ADMIN_URL}: {exc.__class__.__name__}"


def new_postgres_database(label: str) -> str:
    import psycopg2

    name = f"so_{label}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    _created.append(name)
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def database_url_for(kind: str, workdir, label: str) -> str:
    """A fresh, empty database of `kind` ("sqlite" or "postgresql"); skips the test,
    saying why, when the PostgreSQL server is absent."""
    if kind == "postgresql":
        reason = postgres_unavailable()
        if reason:
            import pytest

            pytest.skip(reason)
        return new_postgres_database(label)
    return f"sqlite:///{workdir / (label + '.db')}"


def drop_created() -> None:
    if not _created:
        return
    import psycopg2

    from bot.store.db import dispose_engines

    dispose_engines()
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in _created:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()
    _created.clear()
