"""Live delivery inside the gateway: members' open web chats and agents' open consoles,
and the one way to reach a member during a handoff, whatever their channel (web chat
push, or a text through the SMS sender's queue).

In memory: one gateway process. Several would need a shared channel (e.g. Redis)."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Dict, List, Set

from fastapi import WebSocket

from bot.handoff import HandoffView, MessageView
from bot.messages import text

log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self.members: Dict[str, Set[WebSocket]] = defaultdict(set)    # conversation id -> web chats
        self.consoles: Set[WebSocket] = set()

    async def _send(self, sockets, payload: dict) -> None:
        for ws in list(sockets):
            try:
                await ws.send_json(payload)
            except Exception:  # noqa: BLE001 - a closed socket is dropped, the rest still get it
                sockets.discard(ws)

    async def to_member(self, conversation_id: str, payload: dict) -> None:
        await self._send(self.members.get(conversation_id, set()), payload)

    async def to_consoles(self, payload: dict) -> None:
        await self._send(self.consoles, payload)


HUB = Hub()


def _outbox(app) -> "asyncio.Queue":
    return app.state.sms_outbox


async def agent_said(app, view: HandoffView, message: MessageView) -> None:
    """An agent's words to the member, marked as from a person."""
    if view.channel == "sms":
        if view.reply_to:
            _outbox(app).put_nowait((view.reply_to, text("agent_sms", agent_name=message.agent_name,
                                                         body=message.body)))
        return
    await HUB.to_member(view.conversation_id, {"type": "agent", "id": message.id, "name": message.agent_name,
                                               "text": message.body})


async def notice(app, view: HandoffView, body: str) -> None:
    """A notice about the handoff itself (an agent joined)."""
    if view.channel == "sms":
        if view.reply_to:
            _outbox(app).put_nowait((view.reply_to, body))
        return
    await HUB.to_member(view.conversation_id, {"type": "notice", "text": body})


async def assistant_said(app, view: HandoffView, messages: List[dict]) -> None:
    """What the assistant said on its own when it took the conversation back."""
    if not messages:
        return
    if view.channel == "sms":
        from bot.web.sms import as_sms
        if view.reply_to:
            _outbox(app).put_nowait((view.reply_to, as_sms(messages)[0]))
        return
    await HUB.to_member(view.conversation_id, {"type": "push", "messages": [
        {"text": m.get("text", ""), "buttons": []} for m in messages if m.get("text")]})


async def queue_changed(handoff_id: int = None) -> None:
    await HUB.to_consoles({"type": "queue", "handoff": handoff_id})
