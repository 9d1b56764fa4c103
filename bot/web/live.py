"""Live delivery inside the gateway: members' open web chats and agents' open consoles,
the one way to reach a member during a handoff, whatever their channel (web chat push,
or a text through the outbox, bot/web/outbox.py), and the assistant taking a
conversation back (after hand back, or when nobody claimed it in time).

Without REDIS_URL, one gateway process: a message goes straight to its sockets. With
it, every message is published to Redis (bot/web/shared_state.py) and each worker's
relay, started with the app, hands it to the sockets open on that worker, so an agent
on one worker reaches a member on another, and each socket gets it once. A worker there
is an event loop: its sockets, Redis connections and relay belong to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI, WebSocket

from bot import handoff, safety
from bot.handoff import HandoffView, MessageView
from bot.messages import DEFAULT_LANG, text
from bot.policy import kb
from bot.safety.answers import held_answer, record_answer
from bot.settings import get_settings
from bot.web import outbox, shared_state

log = logging.getLogger(__name__)
RELAY_READY_SECONDS = 5.0
RELAY_RETRY_SECONDS = 1.0
# Why a person was asked for, as agents read it (the queue, the conversation, alerts).
REASON_LABELS = {
    "asked": "Asked for a person",
    "not_understood": "The assistant did not understand twice",
    "locked": "Verification locked",
    "clinical": "Clinical question",
    "conduct": "Complaint about a provider's conduct",
}


class Hub:
    def __init__(self) -> None:
        self.members: dict[str, set[WebSocket]] = defaultdict(set)  # conversation id -> web chats
        self.consoles: set[WebSocket] = set()
        self.relay: asyncio.Task[None] | None = None
        self.relay_users = 0  # apps of this worker that started it

    async def _send(self, sockets: set[WebSocket], payload: dict[str, Any]) -> None:
        for ws in list(sockets):
            try:
                await ws.send_json(payload)
            except Exception:  # noqa: BLE001 - a closed socket is dropped, the rest still get it
                sockets.discard(ws)

    async def to_member(self, conversation_id: str, payload: dict[str, Any]) -> None:
        await self._route({"to": "member", "conversation": conversation_id, "payload": payload})

    async def to_consoles(self, payload: dict[str, Any]) -> None:
        await self._route({"to": "consoles", "payload": payload})

    async def _route(self, message: dict[str, Any]) -> None:
        # Published, every relay delivers it, this worker's too; else only here.
        if not await shared_state.publish(message):
            await self.deliver(message)

    async def deliver(self, message: dict[str, Any]) -> None:
        """`message` to the sockets of this worker it is for."""
        if message.get("to") == "consoles":
            await self._send(self.consoles, message["payload"])
        elif message.get("to") == "member":
            await self._send(self.members.get(message["conversation"], set()), message["payload"])


class Hubs:
    """This worker's Hub: the process's without REDIS_URL (as one process always was),
    else the running event loop's."""

    def __init__(self) -> None:
        self._process = Hub()
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = WeakKeyDictionary()

    def current(self) -> Hub:
        if not get_settings().redis_url:
            return self._process
        return self._loops.setdefault(asyncio.get_running_loop(), Hub())

    @property
    def members(self) -> dict[str, set[WebSocket]]:
        return self.current().members

    @property
    def consoles(self) -> set[WebSocket]:
        return self.current().consoles

    async def to_member(self, conversation_id: str, payload: dict[str, Any]) -> None:
        await self.current().to_member(conversation_id, payload)

    async def to_consoles(self, payload: dict[str, Any]) -> None:
        await self.current().to_consoles(payload)


HUB = Hubs()


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
    """Tells every console the queue changed; while `handoff_id` is waiting for a person,
    with an alert for agents on any page (its `key` changes when the waiting member
    speaks of a crisis, so that is announced again; pages announce a key once)."""
    payload: dict[str, Any] = {"type": "queue", "handoff": handoff_id}
    if handoff_id is not None:
        view = await asyncio.to_thread(handoff.get, handoff_id)
        if view is not None and view.status == "waiting":
            payload["alert"] = waiting_alert(view)
    await HUB.to_consoles(payload)


def waiting_alert(view: HandoffView) -> dict[str, Any]:
    """What agents are told of a member waiting: the plan and why, never who (no name,
    member ID, words or crisis category: a browser notification shows on screens others
    see)."""
    plan = kb().plan(view.plan).name if view.plan in kb().plans else "plan not known yet"
    why = REASON_LABELS.get(view.reason, view.reason)
    crisis = view.crisis_at is not None
    lead = "A waiting member spoke of a crisis" if crisis else "A member is waiting"
    return {
        "key": f"{view.id}:crisis" if crisis else str(view.id),
        "handoff": view.id,
        "crisis": crisis,
        "text": f"{lead}: {plan}, {why[:1].lower()}{why[1:]}",
    }


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


async def start_relay(app: FastAPI) -> None:
    """With REDIS_URL, starts this worker's relay (once, whatever the apps in it) and
    waits until it listens: what is published before would not reach this worker."""
    redis = shared_state.client()
    if redis is None:
        return
    hub = app.state.live_hub = HUB.current()
    hub.relay_users += 1
    if hub.relay is None:
        ready = asyncio.Event()
        hub.relay = asyncio.get_running_loop().create_task(_relay(hub, redis, ready))
        with contextlib.suppress(asyncio.TimeoutError):  # Redis down: the relay keeps trying
            await asyncio.wait_for(ready.wait(), RELAY_READY_SECONDS)


async def stop_relay(app: FastAPI) -> None:
    hub: Hub | None = getattr(app.state, "live_hub", None)
    if hub is None or hub.relay is None:
        return
    hub.relay_users -= 1
    if hub.relay_users == 0:
        relay, hub.relay = hub.relay, None
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay


async def _relay(hub: Hub, redis: Any, ready: asyncio.Event) -> None:
    """Every published message to this worker's sockets, subscribing again after Redis
    was lost (what was published meanwhile is lost: a chat that reconnects gets the
    agents' words it missed, a console reloads its queue)."""
    while True:
        try:
            async for message in shared_state.subscribe(redis, ready):
                await hub.deliver(message)
        except Exception as exc:  # noqa: BLE001 - the relay must keep running
            log.warning("the live relay stopped (%s); subscribing again", type(exc).__name__)
        await asyncio.sleep(RELAY_RETRY_SECONDS)
