"""Website chat: a WebSocket from our own page, passed to Rasa's REST channel.

The browser keeps a session token (localStorage) and gives every message an ID. The
gateway answers each ID once: a message resent after a dropped connection gets the
answer already given, never a second one, even from another gateway worker: sessions
are kept by bot/web/shared_state.py (in Redis when REDIS_URL is set), for a day unused,
and saved after every change. A button sends only a payload the assistant
offered in its last answer; anything else the member sends is text ("/..." included).
A frame that is not JSON, or not a message of the expected shape, is answered with
{"type": "error", "error": "..."} and the connection stays open.

On every "hello", what the plan decided on this chat's requests since the member last
saw it comes first, as notices, once (bot/notices.py).

While a person holds the conversation (bot.handoff), the member's messages go to the
agent console instead of the assistant, and the agent's words come back here.

The page's own labels come from the catalogs (GET /chat/labels?lang=es). Each answer
carries the conversation's language ("lang"): the one the assistant answered in, else
the one the member last wrote in; the page follows it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from bot import handoff, notices
from bot.conversation_ids import web_id
from bot.messages import DEFAULT_LANG, catalog, text
from bot.nlp import language
from bot.web import live, shared_state
from bot.web.assistant import handoff_opened
from bot.web.member_text import as_member_text
from bot.web.shared_state import ChatSession

router = APIRouter()
REMEMBERED_ANSWERS = 50
INVALID = object()
LABEL_PREFIX = "chat_"


def _for_browser(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "text": m.get("text", ""),
            "buttons": [{"title": b["title"], "payload": b["payload"]} for b in m.get("buttons") or []],
        }
        for m in messages
        if m.get("text") or m.get("buttons")
    ]


@router.get("/chat/labels", include_in_schema=False)
def labels(lang: Literal["en", "es"] = DEFAULT_LANG) -> dict[str, str]:
    """The page's labels in `lang`, by name (the catalog key without "chat_")."""
    keys = [key for key in catalog(DEFAULT_LANG) if key.startswith(LABEL_PREFIX)]
    return {key[len(LABEL_PREFIX) :]: text(key, lang) for key in keys}


@router.websocket("/ws/chat")
async def chat(ws: WebSocket) -> None:
    await ws.accept()
    token, session, sender = None, None, None
    sessions = shared_state.chat_sessions()
    try:
        while True:
            data = await _frame(ws)
            problem = _shape_problem(data, session is not None)
            if problem:
                await ws.send_json({"type": "error", "error": problem})
                continue
            if data["type"] == "hello":
                token = data.get("session") if _session_token(data.get("session")) else secrets.token_urlsafe(24)
                session = await sessions.load(token) or ChatSession()
                await sessions.save(token, session)
                sender = web_id(token)
                live.HUB.members[sender].add(ws)
                await ws.send_json({"type": "welcome", "session": token})
                await _decisions_not_seen(ws, sender)
                await _agent_messages_missed(ws, sender, data.get("last_agent"), session.lang)
                continue
            # _shape_problem refuses every other frame until "hello" has made the session
            assert token is not None and session is not None and sender is not None
            message_id = data["id"]
            if message_id in session.answers:  # resent after a reconnect
                await _answer(ws, message_id, session.answers[message_id], session.lang)
                continue
            payload = data.get("payload")
            message = payload if payload and payload in session.offered else as_member_text(data.get("text"))
            if not message:
                continue
            session.lang = await run_in_threadpool(language.detect, message) or session.lang  # CPU: off the loop
            session.answers[message_id] = await _converse(ws, session, sender, message)
            session.lang = await run_in_threadpool(_language_of, session.answers[message_id]) or session.lang
            while len(session.answers) > REMEMBERED_ANSWERS:
                session.answers.popitem(last=False)
            await sessions.save(token, session)  # before answering: a resend may reach another worker
            await _answer(ws, message_id, session.answers[message_id], session.lang)
    except WebSocketDisconnect:
        return
    finally:
        if sender:
            live.HUB.members[sender].discard(ws)


async def _frame(ws: WebSocket) -> Any:
    """The next frame, decoded; a frame that is not JSON text becomes INVALID."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is None:
        return INVALID
    try:
        return json.loads(message["text"])
    except ValueError:
        return INVALID


def _session_token(value: Any) -> bool:
    return isinstance(value, str) and 16 <= len(value) <= 128


def _optional(value: Any, kind: type) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def _shape_problem(data: Any, said_hello: bool) -> str | None:
    """Why a frame cannot be taken, or None."""
    if data is INVALID:
        return "expected a JSON text frame"
    if not isinstance(data, dict) or data.get("type") not in ("hello", "message"):
        return 'expected an object with "type": "hello" or "message"'
    if data["type"] == "hello":
        if not (_optional(data.get("session"), str) and _optional(data.get("last_agent"), int)):
            return '"session" must be a string and "last_agent" a number'
        return None
    if not said_hello:
        return 'send "hello" first'
    if not (isinstance(data.get("id"), str) and 0 < len(data["id"]) <= 64):
        return '"id" must be a string of 1 to 64 characters'
    if not (_optional(data.get("text"), str) and _optional(data.get("payload"), str)):
        return '"text" and "payload" must be strings'
    return None


async def _converse(ws: WebSocket, session: ChatSession, sender: str, message: str) -> list[dict[str, Any]] | None:
    """The assistant's reply; None when the message went to the agent holding the chat
    (unless it spoke of a crisis: that is answered at once, whoever holds the chat)."""
    held = await run_in_threadpool(handoff.add_member_message, sender, message)  # off the event loop
    if held is not None:
        answer = await run_in_threadpool(live.answer_if_crisis, sender, message)
        await live.queue_changed(held.handoff_id)
        return [{"text": line, "buttons": []} for line in answer] or None
    await ws.send_json({"type": "typing"})
    said = await ws.app.state.assistant.ask(sender, message, "web")
    reply = _for_browser(said)
    session.offered = {b["payload"]: b["title"] for m in reply for b in m["buttons"]}
    opened = handoff_opened(said)
    if opened is not None:  # the assistant just handed off
        await live.queue_changed(opened)
    return reply


def _language_of(reply: list[dict[str, Any]] | None) -> str | None:
    """The language the assistant answered in: the member's record may have chosen it
    ("DEMO2002 12/2/1975" says nothing of a language; the answer is in Spanish)."""
    return language.detect(" ".join(m.get("text") or "" for m in reply or []))


async def _answer(ws: WebSocket, message_id: str, reply: list[dict[str, Any]] | None, lang: str | None) -> None:
    if reply is None:
        await ws.send_json({"type": "held", "reply_to": message_id})
    else:
        await ws.send_json({"type": "bot", "reply_to": message_id, "messages": reply, "lang": lang})


async def _decisions_not_seen(ws: WebSocket, sender: str) -> None:
    """What the plan decided on this chat's requests since the member last saw it, before
    anything else, once (bot/notices.py)."""
    shown = await run_in_threadpool(notices.web_notices, sender)
    for notice in shown:
        await ws.send_json({"type": "notice", "text": notice.text})
    if shown:
        await run_in_threadpool(notices.web_notices_shown, sender, shown)


async def _agent_messages_missed(ws: WebSocket, sender: str, last_seen: Any, lang: str | None) -> None:
    after = last_seen if isinstance(last_seen, int) and last_seen >= 0 else 0
    for m in await run_in_threadpool(handoff.agent_messages_since, sender, after):
        await ws.send_json(live.agent_message_for_chat(m, lang or DEFAULT_LANG))
