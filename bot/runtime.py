"""The environment every process of the product runs with, decided in one place.

Connection budget on PostgreSQL (default max_connections 100): each Rasa process
opens at most SQL_POOL_SIZE + SQL_MAX_OVERFLOW = 20 + 10 tracker-store connections,
so two Rasa processes take 60; the action server and the API take at most
APP_DB_POOL_SIZE + APP_DB_MAX_OVERFLOW = 5 + 5 each, 20 more. 80 in all leaves room
for migrations, psql and a purge job.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys

from bot.settings import (
    DEFAULT_TRACKER_STORE_URL,
    ROOT,
    Settings,
    get_settings,
    inherited_environment,
    normalized_database_url,
)

# Rasa's tracker store reads these two; the defaults are the settings' own.
POOL_DEFAULTS = {
    name: str(Settings.__fields__[field].default)
    for name, field in (
        ("SQL_POOL_SIZE", "sql_pool_size"),
        ("SQL_MAX_OVERFLOW", "sql_max_overflow"),
        ("APP_DB_POOL_SIZE", "app_db_pool_size"),
        ("APP_DB_MAX_OVERFLOW", "app_db_max_overflow"),
    )
}


def tracker_store_url(settings: Settings | None = None) -> str:
    """Where Rasa keeps conversations: TRACKER_STORE_URL, else the PostgreSQL database
    of DATABASE_URL, else its own SQLite file (so it never locks the records' file)."""
    settings = settings or get_settings()
    return settings.tracker_store_url or tracker_store_beside(settings.database_url)


def tracker_store_beside(database_url: str) -> str:
    """The tracker store that goes with a records' database."""
    url = normalized_database_url(database_url)
    return url if url.startswith("postgresql") else DEFAULT_TRACKER_STORE_URL


def service_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process the product starts (Rasa, the action server, a
    training run): this one's, with `extra`, and the product's defaults where unset."""
    env = inherited_environment()
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key, value in POOL_DEFAULTS.items():
        env.setdefault(key, value)
    env.setdefault("DATABASE_URL", get_settings().database_url)
    env.setdefault("TRACKER_STORE_URL", tracker_store_beside(env["DATABASE_URL"]))
    # The secret Rasa sends the action server (endpoints.yml); both get this same env.
    env.setdefault("ACTION_SERVER_TOKEN", secrets.token_urlsafe(32))
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def rasa_cmd(*args: str) -> list[str]:
    """Rasa's command line, through bot.rasa_server (the same CLI, with its speed-up)."""
    return [sys.executable, "-m", "bot.rasa_server", *args]


def action_server_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "bot.action_server", "--port", str(port)]


if __name__ == "__main__":
    # `eval "$(python -m bot.runtime)"` exports the environment for a shell script.
    env = service_env()
    for key in (
        "PYTHONPATH",
        "DATABASE_URL",
        "TRACKER_STORE_URL",
        "ACTION_SERVER_TOKEN",
        *POOL_DEFAULTS,
        "SQLALCHEMY_SILENCE_UBER_WARNING",
        "TF_CPP_MIN_LOG_LEVEL",
        "RASA_TELEMETRY_ENABLED",
    ):
        print(f"export {key}={shlex.quote(env[key])}")
