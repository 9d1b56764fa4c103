"""Live delivery inside the gateway: members' open web chats and agents' open consoles,
the one way to reach a member during a handoff, whatever their channel (web chat push,
or a text through the outbox, bot/web/outbox.py), and the assistant taking a
conversation back (after hand back, or when nobody claimed it in time).

In memory: one gateway process. Several would need a shared channel (e.g. Redis)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI, WebSocket

from bot import handoff, safety
from bot.handoff import HandoffView, MessageView
from bot.messages import DEFAULT_LANG, text
from bot.safety.answers import held_answer, record_answer
from bot.settings import get_settings
from bot.web import outbox

log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self.members: dict[str, set[WebSocket]] = defaultdict(set)  # conversation id -> web chats
        self.consoles: set[WebSocket] = set()

    async def _send(self, sockets: set[WebSocket], payload: dict[str, Any]) -> None:
        for ws in list(sockets):
            try:
                await ws.send_json(payload)
            except Exception:  # noqa: BLE001 - a closed socket is dropped, the rest still get it
                sockets.discard(ws)

    async def to_member(self, conversation_id: str, payload: dict[str, Any]) -> None:
        await self._send(self.members.get(conversation_id, set()), payload)

    async def to_consoles(self, payload: dict[str, Any]) -> None:
        await self._send(self.consoles, payload)


HUB = Hub()


async def agent_said(app: FastAPI, view: HandoffView, message: MessageView) -> None:
    """An agent's words to the member, marked as from a person."""
    if view.channel == "sms":
        if view.reply_to:
            await outbox.send(
                app,
                view.reply_to,
                text("agent_sms", member_language(view), agent_name=message.agent_name, body=message.body),
                key=f"agent-message:{message.id}",
            )
        return
    await HUB.to_member(view.conversation_id, agent_message_for_chat(message, member_language(view)))


def member_language(view: HandoffView) -> str:
    """The language the assistant was speaking with the member when it handed off."""
    return view.summary.get("language") or DEFAULT_LANG


def agent_message_for_chat(message: MessageView, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """An agent's words as the web chat shows them: labelled as from a person."""
    return {
        "type": "agent",
        "id": message.id,
        "label": text("agent_chat_label", lang, agent_name=message.agent_name),
        "text": message.body,
    }


async def notice(app: FastAPI, view: HandoffView, body: str) -> None:
    """A notice about the handoff itself (an agent joined)."""
    if view.channel == "sms":
        if view.reply_to:
            await outbox.send(app, view.reply_to, body)
        return
    await HUB.to_member(view.conversation_id, {"type": "notice", "text": body})


async def assistant_said(app: FastAPI, view: HandoffView, messages: list[dict[str, Any]]) -> None:
    """What the assistant said on its own when it took the conversation back. By text,
    its choices are numbered and remembered, as in any reply (the conversation's ID is
    the number's hash)."""
    if not messages:
        return
    if view.channel == "sms":
        if view.reply_to:
            await outbox.send_to_member(app, view.reply_to, view.conversation_id, messages)
        return
    await HUB.to_member(
        view.conversation_id,
        {"type": "push", "messages": [{"text": m.get("text", ""), "buttons": []} for m in messages if m.get("text")]},
    )


def answer_if_crisis(conversation_id: str, body: str) -> list[str]:
    """A member's message to a conversation a person holds (or is about to): a crisis in
    it is answered at once with 911/988, in the member's language, and the conversation
    is flagged at the top of the queue (audited). The answer, or nothing."""
    crisis = safety.check(body)
    if crisis is None:
        return []
    said = held_answer(crisis)
    record_answer(conversation_id, crisis, "held")
    handoff.flag_crisis(conversation_id, crisis.category, said)
    return said


async def queue_changed(handoff_id: int | None = None) -> None:
    await HUB.to_consoles({"type": "queue", "handoff": handoff_id})


async def assistant_takes_over(app: FastAPI, view: HandoffView, action: str) -> None:
    """The assistant resumes the conversation (Rasa runs `action`) and its words reach
    the member on their channel."""
    try:
        messages = await app.state.assistant.run_action(view.conversation_id, action)
    except httpx.HTTPError:
        log.error("the assistant could not take back handoff %s", view.id)
        return
    await assistant_said(app, view, messages)


async def sweep_unclaimed(app: FastAPI, every_seconds: float) -> None:
    """Hand back to the assistant what nobody claimed in time; it offers a callback."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            for view in await asyncio.to_thread(handoff.expire_unclaimed):
                await assistant_takes_over(app, view, "action_handoff_unclaimed")
                await queue_changed(view.id)
        except Exception:  # noqa: BLE001 - the sweeper must keep running
            log.exception("sweeping unclaimed handoffs failed")


def start_sweeper(app: FastAPI) -> None:
    every = get_settings().handoff_sweep_seconds
    app.state.handoff_sweeper = asyncio.get_running_loop().create_task(sweep_unclaimed(app, every))
