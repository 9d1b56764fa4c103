"""Website chat: a WebSocket from our own page, passed to Rasa's REST channel.

The browser keeps a session token (localStorage) and gives every message an ID. The
gateway answers each ID once: a message resent after a dropped connection gets the
answer already given, never a second one. A button sends only a payload the assistant
offered in its last answer; anything else the member sends is text ("/..." included).
"""
from __future__ import annotations

import os
import secrets
from collections import OrderedDict
from typing import Dict, List

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.web.assistant import ask_rasa, keyed_id

router = APIRouter()
MAX_TEXT = 5000
REMEMBERED_ANSWERS = 50


class Session:
    def __init__(self) -> None:
        self.answers: "OrderedDict[str, List[dict]]" = OrderedDict()   # message id -> reply
        self.offered: Dict[str, str] = {}                               # payload -> title


SESSIONS: Dict[str, Session] = {}


def _sender(token: str) -> str:
    return keyed_id("web", token, os.environ.get("WEB_ID_KEY") or os.environ.get("SMS_ID_KEY") or "web")


def _for_browser(messages: List[dict]) -> List[dict]:
    return [{"text": m.get("text", ""), "buttons": [{"title": b["title"], "payload": b["payload"]}
                                                    for b in m.get("buttons") or []]} for m in messages]


@router.websocket("/ws/chat")
async def chat(ws: WebSocket) -> None:
    await ws.accept()
    token, session = None, None
    try:
        while True:
            data = await ws.receive_json()
            if data.get("type") == "hello":
                token = data.get("session") if isinstance(data.get("session"), str) and \
                    len(data["session"]) >= 16 else secrets.token_urlsafe(24)
                session = SESSIONS.setdefault(token, Session())
                await ws.send_json({"type": "welcome", "session": token})
                continue
            if session is None or data.get("type") != "message":
                continue
            message_id = str(data.get("id") or "")[:64]
            if message_id in session.answers:                  # resent after a reconnect
                await ws.send_json({"type": "bot", "reply_to": message_id,
                                    "messages": session.answers[message_id]})
                continue
            payload = data.get("payload")
            if payload and payload in session.offered:
                message = payload
            else:
                message = str(data.get("text") or "")[:MAX_TEXT].lstrip("/").strip()
            if not message:
                continue
            await ws.send_json({"type": "typing"})
            reply = _for_browser(await ask_rasa(_sender(token), message, "web"))
            session.offered = {b["payload"]: b["title"] for m in reply for b in m["buttons"]}
            session.answers[message_id] = reply
            while len(session.answers) > REMEMBERED_ANSWERS:
                session.answers.popitem(last=False)
            await ws.send_json({"type": "bot", "reply_to": message_id, "messages": reply})
    except WebSocketDisconnect:
        return
