"""SMS through Twilio: the webhook, checked and answered.

Members never reach Rasa directly: this gateway checks Twilio's signature against the
public URL, answers a repeated MessageSid once, honours opt-out words, answers HELP,
says texts are not encrypted on a number's first text, turns a leading "/" into
plain text (no forged intents), maps "1", "2" to the choices offered, and splits
long replies at sentence ends. A reply not ready in time goes out later through
the outbox (bot/web/outbox.py), whose background task sends it with Twilio's REST
API, never blocking the event loop.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import handoff, notices
from bot.conversation_ids import sms_id
from bot.deadlines import utcnow
from bot.messages import DEFAULT_LANG, text
from bot.nlp import language, parse_choice
from bot.settings import get_settings
from bot.store import repository, session_scope
from bot.store.models import SmsContact, SmsInbound
from bot.web import live, outbox
from bot.web.assistant import handoff_opened, signal
from bot.web.member_text import as_member_text
from bot.web.outbox import choices_of, for_texting, split_message

router = APIRouter()

# Twilio answers its standard English keywords itself; the Spanish ones are ours to
# honour and to confirm, in Spanish.
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"}
OPT_OUT_ES = {"PARAR", "CANCELAR", "ALTO", "BASTA"}
OPT_IN = {"START", "UNSTOP", "YES"}
OPT_IN_ES = {"COMENZAR", "REANUDAR"}
HELP = {"HELP", "INFO"}
HELP_ES = {"AYUDA"}
WEBHOOK_PATH = "/webhooks/twilio/sms"


def keyword(body: str) -> str:
    """A texted keyword as Twilio reads it: capitals, accents and punctuation aside ("Ayuda!" is AYUDA)."""
    plain = unicodedata.normalize("NFKD", body.upper()).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^A-Z ]", "", plain).split())


def _signed_url(request: Request, public_base: str) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base}{request.url.path}{query}"


def _first_time(session: Session, phone_hash: str) -> tuple[SmsContact, bool]:
    contact = repository.sms_contact(session, phone_hash)
    if contact is None:
        contact = SmsContact(phone_hash=phone_hash, opted_out=False)
        session.add(contact)
        session.flush()
    return contact, contact.privacy_notice_at is None


def _twiml(bodies: list[str]) -> Response:
    reply = MessagingResponse()
    for body in bodies:
        reply.message(body)
    return Response(content=str(reply), media_type="application/xml")


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def twilio_sms(request: Request) -> Response:
    settings = get_settings()
    form = {k: str(v) for k, v in (await request.form()).items()}  # Twilio posts url-encoded text fields
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (
        settings.twilio_auth_token
        and settings.public_base
        and signature
        and RequestValidator(settings.twilio_auth_token).validate(
            _signed_url(request, settings.public_base), form, signature
        )
    ):
        return Response(status_code=403)

    sid, phone, body = form.get("MessageSid", ""), form.get("From", ""), (form.get("Body") or "").strip()
    phone_hash = sms_id(phone, settings.sms_conversation_key)
    # The database work runs off the event loop: other members' turns go on meanwhile.
    answered, first_time, offered = await run_in_threadpool(_record_inbound, sid, phone_hash, keyword(body))
    if answered is not None:
        return _twiml(answered)
    lead = [text("sms_privacy", language.detect(body) or DEFAULT_LANG)] if first_time else []
    held = await run_in_threadpool(handoff.add_member_message, phone_hash, body or text("sms_no_text"))
    if held is not None:  # a person has this conversation
        await run_in_threadpool(handoff.set_reply_to, held.handoff_id, phone)
        answer = await run_in_threadpool(live.answer_if_crisis, phone_hash, body)  # 911/988 at once
        await live.queue_changed(held.handoff_id)
        return _twiml(lead + answer)
    choice = parse_choice(body, len(offered)) if offered else None
    message = offered[choice - 1] if choice else as_member_text(body)
    reply_task = asyncio.ensure_future(_converse(request.app, phone, phone_hash, message))
    try:
        reply = await asyncio.wait_for(asyncio.shield(reply_task), settings.sms_reply_timeout)
    except asyncio.TimeoutError:
        reply_task.add_done_callback(lambda t: _send_later(t, phone, sid, request.app))
        return _twiml(lead)
    return _twiml(lead + split_message(reply) if reply else lead)


def _record_inbound(sid: str, phone_hash: str, word: str) -> tuple[list[str] | None, bool, list[str]]:
    """Record a text and its sender's consent words: (the whole answer when the gateway
    itself answers it, else None; whether this number never texted before; the choices
    its numbers answer)."""
    with session_scope() as session:
        if session.execute(select(SmsInbound).where(SmsInbound.message_sid == sid)).first():
            return [], False, []  # a retried webhook: answered once
        session.add(SmsInbound(message_sid=sid, received_at=utcnow()))
        contact, first_time = _first_time(session, phone_hash)
        if word in OPT_OUT | OPT_OUT_ES:
            contact.opted_out, contact.opted_out_at = True, utcnow()
            # Twilio confirms its own English words; a Spanish one is confirmed here
            return ([text("sms_stopped", "es")] if word in OPT_OUT_ES else []), False, []
        if word in OPT_IN | OPT_IN_ES and contact.opted_out:
            contact.opted_out, contact.opted_in_at = False, utcnow()
            return [text("sms_started", "es" if word in OPT_IN_ES else "en")], False, []
        if contact.opted_out:
            return [], False, []  # nothing to a number that said STOP
        if word in HELP | HELP_ES:
            return [text("sms_help", "es" if word in HELP_ES else "en")], False, []
        if first_time:
            contact.privacy_notice_at = utcnow()
        return None, first_time, choices_of(contact)


async def _converse(app: FastAPI, phone: str, phone_hash: str, message: str) -> str:
    messages = await app.state.assistant.ask(phone_hash, message, "sms")
    if signal(messages, notices.NUMBER_WANTED):  # the number, which only the gateway knows, for a text asked for
        await run_in_threadpool(notices.sms_turn_done, phone_hash, phone)
    body = await run_in_threadpool(for_texting, phone_hash, messages)
    opened = handoff_opened(messages)
    if opened is not None:  # the assistant just handed off
        await run_in_threadpool(handoff.set_reply_to, opened, phone)
        await live.queue_changed(opened)
    return body


_QUEUEING: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references


def _send_later(task: asyncio.Future[str], phone: str, sid: str, app: FastAPI) -> None:
    if task.cancelled() or task.exception() or not task.result():
        return
    queueing = asyncio.ensure_future(outbox.send(app, phone, task.result(), key=f"late-reply:{sid}"))
    _QUEUEING.add(queueing)
    queueing.add_done_callback(_QUEUEING.discard)
