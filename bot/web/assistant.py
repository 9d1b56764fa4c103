"""How the gateway reaches the assistant: Rasa's REST channel on localhost, and the
conversation IDs it uses (keyed hashes, never a phone number or a browser token)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Protocol

import httpx

from bot.handoff import HANDOFF_OPENED
from bot.settings import get_settings


def keyed_id(prefix: str, value: str, key: str) -> str:
    return f"{prefix}-" + hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


class Assistant(Protocol):
    """What the gateway needs of the assistant. The app is given one (create_app);
    tests give it a stand-in."""

    async def ask(self, sender: str, message: str, channel: str) -> list[dict[str, Any]]:
        """One member message in; every message the assistant answered, out."""

    async def run_action(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Have the assistant run one action in a conversation; what it said."""


class RasaAssistant:
    """The assistant behind the gateway: Rasa's REST channel and its HTTP API (token
    protected, localhost only) at RASA_URL, over one pooled HTTP client: a new client per
    turn opened a new connection each time."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                timeout=60, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ask(self, sender: str, message: str, channel: str) -> list[dict[str, Any]]:
        r = await self._http().post(
            f"{get_settings().rasa_base_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message, "input_channel": channel},
        )
        r.raise_for_status()
        messages: list[dict[str, Any]] = r.json()
        return messages

    async def run_action(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Taking the conversation back after a handoff."""
        settings = get_settings()
        rasa_url, auth, client = settings.rasa_base_url, {"token": settings.rasa_token}, self._http()
        r = await client.post(f"{rasa_url}/conversations/{sender}/execute", params=auth, json={"name": action})
        r.raise_for_status()
        # Then listen, as after any action Rasa predicts itself: the member's next message
        # must follow action_listen for the policies to read the conversation right.
        listen = await client.post(
            f"{rasa_url}/conversations/{sender}/tracker/events",
            params=auth,
            json=[{"event": "action", "name": "action_listen"}],
        )
        listen.raise_for_status()
        return r.json().get("messages") or []


def handoff_opened(messages: list[dict[str, Any]]) -> int | None:
    """The handoff the assistant opened in this reply, if any (its custom payload)."""
    return next(
        (
            m["custom"][HANDOFF_OPENED]
            for m in messages
            if isinstance(m.get("custom"), dict) and HANDOFF_OPENED in m["custom"]
        ),
        None,
    )
