"""Texts to members: the one place that shapes the assistant's messages for SMS, and the
one owner of the queue of texts to send and of the background task that sends them
through Twilio's REST API.

The webhook (bot/web/sms.py) answers in its TwiML with `for_texting`; a later reply,
an agent's words, a notice or the assistant's words after a handoff go through `send`
(bot/web/live.py) into the durable queue (bot/sms_queue.py), which any gateway worker
drains: nothing queued is lost over a restart or a Twilio error. Whichever way the
assistant's buttons go out, they become numbered choices, and the payloads those
numbers stand for are remembered for the member's next "1", "2".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot import sms_queue
from bot.conversation_ids import sms_id
from bot.messages import text
from bot.settings import Settings, get_settings
from bot.store import repository, session_scope
from bot.store.models import SmsContact

log = logging.getLogger(__name__)

SMS_LIMIT = 1600


def split_message(body: str, limit: int = SMS_LIMIT) -> list[str]:
    """Split at sentence ends (then at spaces) into pieces of at most `limit` characters.
    Line breaks stay line breaks: a read-back's "Plan: ..." lines stay apart on a phone."""
    pieces, current = [], ""
    parts = re.split(r"((?<=[.!?])[ \t]+|\s*\n\s*)", body.strip())
    for sentence, before in zip(parts[::2], ["", *parts[1::2]], strict=True):
        joiner = "\n" if "\n" in before else " "
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit) if " " in sentence[:limit] else limit
            head, sentence = sentence[:cut].rstrip(), sentence[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        joined = f"{current}{joiner}{sentence}" if current else sentence
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


# -- the durable queue (bot/sms_queue.py) and its sender ------------------------------------


def start(app: FastAPI) -> None:
    """At start-up: the task that sends what is queued, woken at once by `send` here and
    every SMS_OUTBOX_POLL_SECONDS for what other workers queued or a retry that fell due."""
    app.state.sms_wake = asyncio.Event()
    app.state.sms_sender = asyncio.get_running_loop().create_task(_drain_forever(app.state.sms_wake))


async def send(app: FastAPI, phone: str, body: str, key: str | None = None) -> None:
    """Queue a text to `phone` (sent unless the number has opted out); `key` makes a
    second queueing of the same text do nothing."""
    phone_hash = sms_id(phone)
    await run_in_threadpool(sms_queue.enqueue, phone, phone_hash, body, key)
    wake = getattr(app.state, "sms_wake", None)
    if wake is not None:
        wake.set()


async def send_to_member(
    app: FastAPI, phone: str, phone_hash: str, messages: list[dict[str, Any]], key: str | None = None
) -> None:
    """Queue the assistant's messages to a texting member, its choices remembered."""
    body = await run_in_threadpool(for_texting, phone_hash, messages)
    if body:
        await send(app, phone, body, key)


def twilio_client(settings: Settings) -> Client:
    class _Client(TwilioHttpClient):
        """Twilio's own client, optionally aimed at another base URL (tests' fake Twilio)."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # twilio's Response
            if settings.twilio_api_base:
                url = re.sub(r"^https://[^/]+", settings.twilio_api_base.rstrip("/"), url)
            return super().request(method, url, *args, **kwargs)

    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=_Client())


async def _drain_forever(wake: asyncio.Event) -> None:
    every = get_settings().sms_outbox_poll_seconds
    while True:
        wake.clear()
        try:
            while await asyncio.to_thread(drain_once):
                pass
        except Exception:  # noqa: BLE001 - the sender must keep running; the texts stay queued
            log.exception("draining the SMS outbox failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), every)


def drain_once(settings: Settings | None = None) -> int:
    """Send the texts due now (blocking: run it off the event loop); how many were claimed."""
    settings = settings or get_settings()
    due = sms_queue.claim_due()
    if due:
        client = twilio_client(settings)
        for text_due in due:
            _send_one(client, text_due, settings)
    return len(due)


def _send_one(client: Client, due: sms_queue.Due, settings: Settings) -> None:
    if _opted_out(due.phone_hash):
        sms_queue.finished(due.id, "skipped")
        return
    try:
        for piece in split_message(due.body)[due.pieces_sent :]:
            client.messages.create(to=due.phone, from_=settings.twilio_from_number, body=piece)
            sms_queue.piece_sent(due.id)
    except TwilioRestException as e:  # its message quotes the number: only status and code are kept
        refused = 400 <= e.status < 500 and e.status != 429  # the text itself is refused: no retry
        error = f"Twilio {e.status}, code {e.code}"
        _log_failure(due, sms_queue.failed(due.id, due.attempts, settings.sms_send_attempts, error, refused), error)
        return
    except Exception as e:  # noqa: BLE001 - a network error: tried again later
        error = type(e).__name__
        _log_failure(due, sms_queue.failed(due.id, due.attempts, settings.sms_send_attempts, error, False), error)
        return
    sms_queue.finished(due.id, "sent")


def _log_failure(due: sms_queue.Due, status: str, error: str) -> None:
    log.warning("text %s, attempt %s, not sent (%s): %s", due.id, due.attempts, error, status)


def _opted_out(phone_hash: str) -> bool:
    with session_scope() as session:
        return repository.opted_out(session, phone_hash)
