"""Texts to members: the one place that shapes the assistant's messages for SMS, and the
one owner of the queue of texts to send and of the background task that sends them
through Twilio's REST API.

The webhook (bot/web/sms.py) answers in its TwiML with `for_texting`; a later reply,
an agent's words, a notice or the assistant's words after a handoff go through `send`
(bot/web/live.py). Whichever way the assistant's buttons go out, they become numbered
choices, and the payloads those numbers stand for are remembered for the member's
next "1", "2".
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from fastapi import FastAPI
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.messages import text
from bot.settings import Settings, get_settings
from bot.store import repository, session_scope
from bot.store.models import SmsContact
from bot.web.assistant import keyed_id

log = logging.getLogger(__name__)

SMS_LIMIT = 1600


def conversation_id(phone: str, key: str) -> str:
    """The tracker's ID for a texting member: a keyed hash of the number, not the number."""
    return keyed_id("sms", phone, key)


def split_message(body: str, limit: int = SMS_LIMIT) -> list[str]:
    """Split at sentence ends (then at spaces) into pieces of at most `limit` characters."""
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", body.strip()):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit) if " " in sentence[:limit] else limit
            head, sentence = sentence[:cut].rstrip(), sentence[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        joined = f"{current} {sentence}".strip() if current else sentence
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = sentence
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def as_sms(messages: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """One text from Rasa's messages, with buttons as numbered choices; and the
    payloads those numbers stand for."""
    parts, payloads = [], []
    for m in messages:
        if m.get("text"):
            parts.append(m["text"])
        for button in m.get("buttons") or []:
            payloads.append(button["payload"])
            parts.append(text("sms_choice_line", number=len(payloads), title=button["title"]))
    return "\n".join(parts), payloads


def for_texting(phone_hash: str, messages: list[dict[str, Any]]) -> str:
    """The assistant's messages as one text to the member whose number hashes to
    `phone_hash`; the choices it numbers replace those offered before (none: none)."""
    body, payloads = as_sms(messages)
    with session_scope() as session:
        contact = repository.sms_contact(session, phone_hash)
        if contact is not None:
            contact.last_choices = json.dumps(payloads) if payloads else None
    return body


def choices_of(contact: SmsContact) -> list[str]:
    """The payloads the last text to this member numbered, in order."""
    choices: list[str] = json.loads(contact.last_choices or "[]")
    return choices


# -- the queue and its sender -------------------------------------------------------------


def start(app: FastAPI) -> None:
    """At start-up: the app's queue of texts to send, and the task that sends them."""
    app.state.sms_outbox = asyncio.Queue()
    app.state.sms_sender = asyncio.get_running_loop().create_task(_send_queued(app.state.sms_outbox))


def send(app: FastAPI, phone: str, body: str) -> None:
    """Queue a text to `phone` (sent unless the number has opted out)."""
    app.state.sms_outbox.put_nowait((phone, body))


def send_to_member(app: FastAPI, phone: str, phone_hash: str, messages: list[dict[str, Any]]) -> None:
    """Queue the assistant's messages to a texting member, its choices remembered."""
    body = for_texting(phone_hash, messages)
    if body:
        send(app, phone, body)


def twilio_client(settings: Settings) -> Client:
    class _Client(TwilioHttpClient):
        """Twilio's own client, optionally aimed at another base URL (tests' fake Twilio)."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # twilio's Response
            if settings.twilio_api_base:
                url = re.sub(r"^https://[^/]+", settings.twilio_api_base.rstrip("/"), url)
            return super().request(method, url, *args, **kwargs)

    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=_Client())


def _opted_out(phone: str, settings: Settings) -> bool:
    with session_scope() as session:
        contact = repository.sms_contact(session, conversation_id(phone, settings.sms_conversation_key))
        return bool(contact is not None and contact.opted_out)


async def _send_queued(outbox: asyncio.Queue[tuple[str, str]]) -> None:
    """Send queued texts (a later reply, an agent's words, a handoff notice).
    Opted-out numbers get nothing."""
    while True:
        phone, body = await outbox.get()
        try:
            settings = get_settings()
            if _opted_out(phone, settings):
                continue
            client = twilio_client(settings)
            for piece in split_message(body):
                await asyncio.to_thread(client.messages.create, to=phone, from_=settings.twilio_from_number, body=piece)
        except Exception:  # noqa: BLE001 - one failed text must not stop the sender
            log.exception("sending a text failed")
        finally:
            outbox.task_done()
