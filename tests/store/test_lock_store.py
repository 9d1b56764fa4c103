"""Rasa's lock store follows the settings: in memory for one Rasa server, Redis (shared
by every server) when REDIS_URL is set."""

import uuid

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.store.lock_store import redis_options

ENDPOINT = EndpointConfig(type="bot.store.lock_store.SettingsLockStore")
REDIS = "redis://127.0.0.1:6379/5"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_one_server_locks_in_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(LockStore.create(ENDPOINT), InMemoryLockStore)


def test_with_redis_every_server_sees_the_same_locks(monkeypatch):
    if not redis_up():
        pytest.skip(f"no Redis at {REDIS}")
    monkeypatch.setenv("REDIS_URL", REDIS)
    first, second = LockStore.create(ENDPOINT), LockStore.create(ENDPOINT)
    assert isinstance(first, RedisLockStore) and isinstance(second, RedisLockStore)
    conversation = f"test-{uuid.uuid4()}"
    ticket = first.issue_ticket(conversation)
    try:
        assert second.get_lock(conversation).last_issued == ticket
        assert second.issue_ticket(conversation) == ticket + 1  # one queue of turns, whichever server
    finally:
        first.delete_lock(conversation)


def test_redis_url_parts():
    assert redis_options("rediss://u:p%40ss@cache.example.org:6380/2") == {
        "host": "cache.example.org",
        "port": 6380,
        "db": 2,
        "username": "u",
        "password": "p@ss",
        "use_ssl": True,
        "key_prefix": "secondopinion",
    }
    assert redis_options("redis://127.0.0.1")["db"] == 1
