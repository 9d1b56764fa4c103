"""How the gateway reaches the assistant: Rasa's REST channel (conversation IDs are
bot.conversation_ids: keyed hashes, never a phone number or a browser token)."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import httpx

from bot.handoff import HANDOFF_OPENED
from bot.settings import get_settings


class Assistant(Protocol):
    """What the gateway needs of the assistant. The app is given one (create_app);
    tests give it a stand-in."""

    async def ask(self, sender: str, message: str, channel: str) -> list[dict[str, Any]]:
        """One member message in; every message the assistant answered, out."""

    async def run_action(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Have the assistant run one action in a conversation; what it said."""


def servers_for(sender: str, urls: tuple[str, ...]) -> list[str]:
    """The Rasa servers for a conversation, in the order to try them: the same first one
    for every turn of it (rendezvous hashing: adding or losing a server moves only the
    conversations that were on it). Rasa's lock store races when two servers take turns
    of one conversation at once (rasa issue #9213); one front door choosing one server
    per conversation keeps that from happening."""
    return sorted(urls, key=lambda url: hashlib.sha256(f"{url}|{sender}".encode()).digest(), reverse=True)


class RasaAssistant:
    """The assistant behind the gateway: Rasa's REST channel and its HTTP API (token
    protected, localhost only) at RASA_URL, over one pooled HTTP client: a new client per
    turn opened a new connection each time. With several servers, each conversation goes
    to its own (`servers_for`), and to the next when that one cannot be reached."""

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

    async def _post(self, sender: str, path: str, **kwargs: Any) -> httpx.Response:
        """POST to the conversation's server; only when it cannot be reached at all (the
        turn surely not taken) to the next."""
        servers = servers_for(sender, get_settings().rasa_base_urls)
        for i, url in enumerate(servers):
            try:
                r = await self._http().post(f"{url}{path}", **kwargs)
            except httpx.ConnectError:
                if i == len(servers) - 1:
                    raise
                continue
            r.raise_for_status()
            return r
        raise httpx.ConnectError("no Rasa server is configured (RASA_URL)")

    async def ask(self, sender: str, message: str, channel: str) -> list[dict[str, Any]]:
        r = await self._post(
            sender, "/webhooks/rest/webhook", json={"sender": sender, "message": message, "input_channel": channel}
        )
        messages: list[dict[str, Any]] = r.json()
        return messages

    async def run_action(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Taking the conversation back after a handoff."""
        auth = {"token": get_settings().rasa_token}
        r = await self._post(sender, f"/conversations/{sender}/execute", params=auth, json={"name": action})
        # Then listen, as after any action Rasa predicts itself: the member's next message
        # must follow action_listen for the policies to read the conversation right.
        await self._post(
            sender,
            f"/conversations/{sender}/tracker/events",
            params=auth,
            json=[{"event": "action", "name": "action_listen"}],
        )
        messages: list[dict[str, Any]] = r.json().get("messages") or []
        return messages


def handoff_opened(messages: list[dict[str, Any]]) -> int | None:
    """The handoff the assistant opened in this reply, if any (its custom payload)."""
    opened: int | None = signal(messages, HANDOFF_OPENED)
    return opened


def signal(messages: list[dict[str, Any]], key: str) -> Any:
    """What an action told the gateway under `key` in this reply (a custom payload the
    member never sees), or None."""
    return next(
        (m["custom"][key] for m in messages if isinstance(m.get("custom"), dict) and key in m["custom"]),
        None,
    )
