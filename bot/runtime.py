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
import sys
from pathlib import Path
from typing import Dict, List

from bot.store.db import ROOT, database_url

POOL_DEFAULTS = {"SQL_POOL_SIZE": "20", "SQL_MAX_OVERFLOW": "10",
                 "APP_DB_POOL_SIZE": "5", "APP_DB_MAX_OVERFLOW": "5"}


def tracker_store_url() -> str:
    """Where Rasa keeps conversations: TRACKER_STORE_URL, else the PostgreSQL database
    of DATABASE_URL, else its own SQLite file (so it never locks the records' file)."""
    explicit = os.environ.get("TRACKER_STORE_URL")
    if explicit:
        return explicit
    url = database_url()
    return url if url.startswith("postgresql") else f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def service_env(extra: Dict[str, str] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key, value in POOL_DEFAULTS.items():
        env.setdefault(key, value)
    env.setdefault("DATABASE_URL", database_url())
    if "TRACKER_STORE_URL" not in env:
        saved = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = env["DATABASE_URL"]
        try:
            env["TRACKER_STORE_URL"] = tracker_store_url()
        finally:
            if saved is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = saved
    # The secret Rasa sends the action server (endpoints.yml); both get this same env.
    env.setdefault("ACTION_SERVER_TOKEN", secrets.token_urlsafe(32))
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def rasa_cmd(*args: str) -> List[str]:
    return [str(Path(sys.executable).with_name("rasa")), *args]


def action_server_cmd(port: int) -> List[str]:
    return [sys.executable, "-m", "bot.action_server", "--port", str(port)]


if __name__ == "__main__":
    # `eval "$(python -m bot.runtime)"` exports the environment for a shell script.
    import shlex
    env = service_env()
    for key in ("PYTHONPATH", "DATABASE_URL", "TRACKER_STORE_URL", "ACTION_SERVER_TOKEN", *POOL_DEFAULTS,
                "SQLALCHEMY_SILENCE_UBER_WARNING", "TF_CPP_MIN_LOG_LEVEL", "RASA_TELEMETRY_ENABLED"):
        print(f"export {key}={shlex.quote(env[key])}")
