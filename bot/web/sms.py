"""SMS through Twilio: the webhook, checked and answered, and a background sender.

Members never reach Rasa directly: this gateway checks Twilio's signature against the
public URL, answers a repeated MessageSid once, honours opt-out words, answers HELP,
says texts are not encrypted on a number's first text, turns a leading "/" into
plain text (no forged intents), maps "1", "2" to the choices offered, and splits
long replies at sentence ends. A reply not ready in time goes out later through
Twilio's REST API from a background task, never blocking the event loop.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import List, Tuple

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import handoff
from bot.deadlines import utcnow
from bot.messages import text
from bot.nlp import parse_choice
from bot.settings import Settings, get_settings
from bot.store import session_scope
from bot.store.models import SmsContact, SmsInbound
from bot.web import assistant, live
from bot.web.assistant import keyed_id
from bot.web.member_text import as_member_text

log = logging.getLogger(__name__)
router = APIRouter()

SMS_LIMIT = 1600
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"}
OPT_IN = {"START", "UNSTOP", "YES"}
HELP = {"HELP", "INFO"}
WEBHOOK_PATH = "/webhooks/twilio/sms"


def conversation_id(phone: str, key: str) -> str:
    """The tracker's ID for a texting member: a keyed hash of the number, not the number."""
    return keyed_id("sms", phone, key)


def split_message(body: str, limit: int = SMS_LIMIT) -> List[str]:
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


def as_sms(messages: List[dict]) -> Tuple[str, List[str]]:
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


def _signed_url(request: Request, public_base: str) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base}{request.url.path}{query}"


def _first_time(session, phone_hash: str) -> Tuple[SmsContact, bool]:
    contact = session.execute(select(SmsContact).where(SmsContact.phone_hash == phone_hash)).scalar_one_or_none()
    if contact is None:
        contact = SmsContact(phone_hash=phone_hash, opted_out=False)
        session.add(contact)
        session.flush()
    return contact, contact.privacy_notice_at is None


def _twiml(bodies: List[str]) -> Response:
    reply = MessagingResponse()
    for body in bodies:
        reply.message(body)
    return Response(content=str(reply), media_type="application/xml")


async def ask_rasa(sender: str, message: str) -> List[dict]:
    return await assistant.ask_rasa(sender, message, "sms")


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def twilio_sms(request: Request) -> Response:
    settings = get_settings()
    form = dict((await request.form()).items())
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (settings.twilio_auth_token and settings.public_base and signature and
            RequestValidator(settings.twilio_auth_token).validate(_signed_url(request, settings.public_base), form,
                                                                  signature)):
        return Response(status_code=403)

    sid, phone, body = form.get("MessageSid", ""), form.get("From", ""), (form.get("Body") or "").strip()
    phone_hash = conversation_id(phone, settings.sms_conversation_key)
    word = re.sub(r"[^A-Z ]", "", body.upper()).strip()
    with session_scope() as session:
        if session.execute(select(SmsInbound).where(SmsInbound.message_sid == sid)).first():
            return _twiml([])                                  # a retried webhook: answered once
        session.add(SmsInbound(message_sid=sid, received_at=utcnow()))
        contact, first_time = _first_time(session, phone_hash)
        if word in OPT_OUT:
            contact.opted_out, contact.opted_out_at = True, utcnow()
            return _twiml([])                                  # Twilio confirms the opt-out itself
        if word in OPT_IN and contact.opted_out:
            contact.opted_out, contact.opted_in_at = False, utcnow()
            return _twiml([text("sms_started")])
        if contact.opted_out:
            return _twiml([])                                  # nothing to a number that said STOP
        if word in HELP:
            return _twiml([text("sms_help")])
        if first_time:
            contact.privacy_notice_at = utcnow()
        offered = json.loads(contact.last_choices or "[]")

    lead = [text("sms_privacy")] if first_time else []
    held = handoff.add_member_message(phone_hash, body or text("sms_no_text"))
    if held is not None:                                       # a person has this conversation
        handoff.set_reply_to(held.handoff_id, phone)
        answer = live.answer_if_crisis(phone_hash, body)             # 911/988 at once, whoever holds it
        await live.queue_changed(held.handoff_id)
        return _twiml(lead + answer)
    choice = parse_choice(body, len(offered)) if offered else None
    message = offered[choice - 1] if choice else as_member_text(body)
    reply_task = asyncio.ensure_future(_converse(phone, phone_hash, message))
    try:
        reply = await asyncio.wait_for(asyncio.shield(reply_task), settings.sms_reply_timeout)
    except asyncio.TimeoutError:
        outbox = request.app.state.sms_outbox
        reply_task.add_done_callback(lambda t: _send_later(t, phone, outbox))
        return _twiml(lead)
    return _twiml(lead + split_message(reply) if reply else lead)


async def _converse(phone: str, phone_hash: str, message: str) -> str:
    messages = await ask_rasa(phone_hash, message)
    body, payloads = as_sms(messages)
    with session_scope() as session:
        contact = session.execute(select(SmsContact).where(SmsContact.phone_hash == phone_hash)).scalar_one()
        contact.last_choices = json.dumps(payloads) if payloads else None
    opened = assistant.handoff_opened(messages)
    if opened is not None:                                     # the assistant just handed off
        handoff.set_reply_to(opened, phone)
        await live.queue_changed(opened)
    return body


def _send_later(task: "asyncio.Future", phone: str, outbox: "asyncio.Queue") -> None:
    if task.cancelled() or task.exception() or not task.result():
        return
    outbox.put_nowait((phone, task.result()))


# -- outbound: a background task sends queued texts through Twilio's REST API -----------


def twilio_client(settings: Settings):
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class _Client(TwilioHttpClient):
        """Twilio's own client, optionally aimed at another base URL (tests' fake Twilio)."""
        def request(self, method, url, *args, **kwargs):
            if settings.twilio_api_base:
                url = re.sub(r"^https://[^/]+", settings.twilio_api_base.rstrip("/"), url)
            return super().request(method, url, *args, **kwargs)

    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=_Client())


def start_outbox(app) -> None:
    """At start-up: the app's queue of texts to send, and the task that sends them."""
    app.state.sms_outbox = asyncio.Queue()
    app.state.sms_sender = asyncio.get_running_loop().create_task(outbound_worker(app.state.sms_outbox))


async def outbound_worker(outbox: "asyncio.Queue") -> None:
    """Send queued texts (a later reply, an agent's words, a handoff notice).
    Opted-out numbers get nothing."""
    while True:
        phone, body = await outbox.get()
        try:
            settings = get_settings()
            with session_scope() as session:
                contact = session.execute(select(SmsContact).where(
                    SmsContact.phone_hash == conversation_id(phone, settings.sms_conversation_key))).scalar_one_or_none()
                if contact is not None and contact.opted_out:
                    continue
            client = twilio_client(settings)
            for piece in split_message(body):
                await asyncio.to_thread(client.messages.create, to=phone, from_=settings.twilio_from_number,
                                        body=piece)
        except Exception:  # noqa: BLE001 - one failed text must not stop the sender
            log.exception("sending a text failed")
        finally:
            outbox.task_done()
