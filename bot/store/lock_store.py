"""Rasa's lock store, chosen by the settings: Rasa's RedisLockStore when REDIS_URL is set
(several Rasa servers; the gateway already sends each conversation to one, so this is
the safety net behind it), else the in-memory default of a single server.

endpoints.yml names this class; Rasa calls it with the endpoint's configuration."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from bot.settings import get_settings

KEY_PREFIX = "secondopinion"  # Rasa takes letters and digits only


def redis_options(url: str) -> dict[str, Any]:
    """RedisLockStore's arguments from a redis:// or rediss:// URL (database 1 unless the
    URL names one)."""
    parsed = urlparse(url)
    database = parsed.path.strip("/")
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(database) if database else 1,
        "username": unquote(parsed.username) if parsed.username else None,
        "password": unquote(parsed.password) if parsed.password else None,
        "use_ssl": parsed.scheme == "rediss",
        "key_prefix": KEY_PREFIX,
    }


class SettingsLockStore(LockStore):  # type: ignore[misc]  # Rasa is untyped
    """Not a store itself: constructing it gives the store the settings call for."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        url = get_settings().redis_url
        return RedisLockStore(**redis_options(url)) if url else InMemoryLockStore()
