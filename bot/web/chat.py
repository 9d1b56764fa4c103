"""Website chat: a WebSocket from our own page, passed to Rasa's REST channel.

The browser keeps a session token (localStorage) and gives every message an ID. The
gateway answers each ID once: a message resent after a dropped connection gets the
answer already given, never a second one. A button sends only a payload the assistant
offered in its last answer; anything else the member sends is text ("/..." included).

While a person holds the conversation (bot.handoff), the member's messages go to the
agent console instead of the assistant, and the agent's words come back here.
"""
from __future__ import annotations

import os
import secrets
from collections import OrderedDict
from typing import Dict, List, Optional

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot import handoff
from bot.web import live
from bot.web.assistant import ask_rasa, handoff_opened, keyed_id

router = APIRouter()
MAX_TEXT = 5000
REMEMBERED_ANSWERS = 50


class Session:
    def __init__(self) -> None:
        self.answers: "OrderedDict[str, Optional[List[dict]]]" = OrderedDict()   # id -> reply (None: to an agent)
        self.offered: Dict[str, str] = {}                               # payload -> title


SESSIONS: Dict[str, Session] = {}


def _sender(token: str) -> str:
    return keyed_id("web", token, os.environ.get("WEB_ID_KEY") or os.environ.get("SMS_ID_KEY") or "web")


def _for_browser(messages: List[dict]) -> List[dict]:
    return [{"text": m.get("text", ""), "buttons": [{"title": b["title"], "payload": b["payload"]}
                                                    for b in m.get("buttons") or []]}
            for m in messages if m.get("text") or m.get("buttons")]


@router.websocket("/ws/chat")
async def chat(ws: WebSocket) -> None:
    await ws.accept()
    token, session, sender = None, None, None
    try:
        while True:
            data = await ws.receive_json()
            if data.get("type") == "hello":
                token = data.get("session") if isinstance(data.get("session"), str) and \
                    len(data["session"]) >= 16 else secrets.token_urlsafe(24)
                session, sender = SESSIONS.setdefault(token, Session()), _sender(token)
                live.HUB.members[sender].add(ws)
                await ws.send_json({"type": "welcome", "session": token})
                await _agent_messages_missed(ws, sender, data.get("last_agent"))
                continue
            if session is None or data.get("type") != "message":
                continue
            message_id = str(data.get("id") or "")[:64]
            if message_id in session.answers:                  # resent after a reconnect
                await _answer(ws, message_id, session.answers[message_id])
                continue
            payload = data.get("payload")
            if payload and payload in session.offered:
                message = payload
            else:
                message = str(data.get("text") or "")[:MAX_TEXT].lstrip("/").strip()
            if not message:
                continue
            session.answers[message_id] = await _converse(ws, session, sender, message)
            await _answer(ws, message_id, session.answers[message_id])
            while len(session.answers) > REMEMBERED_ANSWERS:
                session.answers.popitem(last=False)
    except WebSocketDisconnect:
        return
    finally:
        if sender:
            live.HUB.members[sender].discard(ws)


async def _converse(ws: WebSocket, session: Session, sender: str, message: str) -> Optional[List[dict]]:
    """The assistant's reply; None when the message went to the agent holding the chat
    (unless it spoke of a crisis: that is answered at once, whoever holds the chat)."""
    held = handoff.add_member_message(sender, message)
    if held is not None:
        answer = live.answer_if_crisis(sender, message)
        await live.queue_changed(held.handoff_id)
        return [{"text": line, "buttons": []} for line in answer] or None
    await ws.send_json({"type": "typing"})
    said = await ask_rasa(sender, message, "web")
    reply = _for_browser(said)
    session.offered = {b["payload"]: b["title"] for m in reply for b in m["buttons"]}
    opened = handoff_opened(said)
    if opened is not None:                                     # the assistant just handed off
        await live.queue_changed(opened)
    return reply


async def _answer(ws: WebSocket, message_id: str, reply: Optional[List[dict]]) -> None:
    if reply is None:
        await ws.send_json({"type": "held", "reply_to": message_id})
    else:
        await ws.send_json({"type": "bot", "reply_to": message_id, "messages": reply})


async def _agent_messages_missed(ws: WebSocket, sender: str, last_seen) -> None:
    after = last_seen if isinstance(last_seen, int) and last_seen >= 0 else 0
    for m in handoff.agent_messages_since(sender, after):
        await ws.send_json(live.agent_message_for_chat(m))
