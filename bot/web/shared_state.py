"""What the gateway's workers share when REDIS_URL is set: web chat sessions (a JSON
value under REDIS_PREFIX + "chat:<token>", expiring after a day unused) and the live channel
that bot/web/live.py publishes to. Unset: sessions stay in this process's memory, with the
same expiry and a bound on their number, and there is no channel.

Redis clients are per event loop: redis.asyncio's connections belong to the loop that
opened them."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from weakref import WeakKeyDictionary

import redis.asyncio as aioredis  # type: ignore[import-untyped]  # redis 4.6 ships no py.typed
from redis.exceptions import RedisError  # type: ignore[import-untyped]

from bot.settings import get_settings

log = logging.getLogger(__name__)

SESSION_SECONDS = 24 * 60 * 60
MEMORY_SESSIONS = 10_000

_CLIENTS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = WeakKeyDictionary()


def client() -> Any | None:
    """This event loop's Redis client, or None when REDIS_URL is unset."""
    url = get_settings().redis_url
    if not url:
        return None
    clients = _CLIENTS.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        clients[url] = aioredis.Redis.from_url(url)
    return clients[url]


async def close() -> None:
    """Closes this event loop's Redis clients (at shutdown)."""
    for redis in _CLIENTS.pop(asyncio.get_running_loop(), {}).values():
        await redis.close()


# -- web chat sessions -----------------------------------------------------------------


@dataclass
class ChatSession:
    lang: str | None = None  # as the member last wrote
    # message id -> reply (None: it went to an agent)
    answers: OrderedDict[str, list[dict[str, Any]] | None] = field(default_factory=OrderedDict)
    offered: dict[str, str] = field(default_factory=dict)  # payload -> title

    def to_json(self) -> str:
        return json.dumps({"lang": self.lang, "answers": list(self.answers.items()), "offered": self.offered})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ChatSession | None:
        try:
            data = json.loads(raw)
            return cls(data["lang"], OrderedDict((k, v) for k, v in data["answers"]), dict(data["offered"]))
        except (ValueError, TypeError, KeyError):
            return None


class SessionStore(Protocol):
    async def load(self, token: str) -> ChatSession | None: ...

    async def save(self, token: str, session: ChatSession) -> None: ...


class MemorySessions:
    """One process's sessions: the least recently used go first beyond `limit`."""

    def __init__(self, seconds: float = SESSION_SECONDS, limit: int = MEMORY_SESSIONS) -> None:
        self.seconds, self.limit = seconds, limit
        self._sessions: OrderedDict[str, tuple[float, ChatSession]] = OrderedDict()

    async def load(self, token: str) -> ChatSession | None:
        expires, session = self._sessions.get(token, (0.0, None))
        if session is None or expires < time.monotonic():
            self._sessions.pop(token, None)
            return None
        return session

    async def save(self, token: str, session: ChatSession) -> None:
        self._sessions[token] = (time.monotonic() + self.seconds, session)
        self._sessions.move_to_end(token)
        while len(self._sessions) > self.limit:
            self._sessions.popitem(last=False)


class RedisSessions:
    """Sessions every worker sees; reading or saving one renews its expiry."""

    def __init__(self, redis: Any, seconds: int = SESSION_SECONDS) -> None:
        self.redis, self.seconds = redis, seconds

    async def load(self, token: str) -> ChatSession | None:
        raw = await self.redis.getex(session_key(token), ex=self.seconds)
        return None if raw is None else ChatSession.from_json(raw)

    async def save(self, token: str, session: ChatSession) -> None:
        await self.redis.set(session_key(token), session.to_json(), ex=self.seconds)


MEMORY = MemorySessions()


def session_key(token: str) -> str:
    return f"{get_settings().redis_prefix}chat:{token}"


def chat_sessions() -> SessionStore:
    redis = client()
    return MEMORY if redis is None else RedisSessions(redis)


# -- the live channel ------------------------------------------------------------------


def channel() -> str:
    return f"{get_settings().redis_prefix}live"


async def publish(message: dict[str, Any]) -> bool:
    """Sends `message` to every worker's subscriber; False when there is no Redis or it
    could not be reached (then nobody got it)."""
    redis = client()
    if redis is None:
        return False
    try:
        await redis.publish(channel(), json.dumps(message))
    except RedisError:
        log.warning("could not publish a live message to Redis; delivering it in this worker only")
        return False
    return True


async def subscribe(redis: Any, ready: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
    """What the workers publish, from the moment `ready` is set."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel())
        ready.set()
        async for item in pubsub.listen():
            try:
                yield json.loads(item["data"])
            except (ValueError, TypeError):
                log.warning("ignored a live message that is not JSON")
    finally:
        await pubsub.reset()
