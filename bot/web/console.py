"""The member-services agent console at /console: sign-in, the queue of conversations
waiting for a person, claiming one, the transcript and what the assistant collected,
replying, the member's records, and handing back to the assistant.

Server-rendered (Jinja2); a WebSocket only tells open pages to fetch fresh fragments.
Every form carries the session's CSRF token; every agent action is audited.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot import agents, audit, handoff, members, nlp, records, verification
from bot.agents import ConsoleSession
from bot.deadlines import to_pacific, utcnow
from bot.grievances import ABOUT, file_grievance
from bot.handoff import HandoffView, NotHolder
from bot.messages import text
from bot.policy import NETWORKS, URGENCIES, kb
from bot.safety import answers as safety_answers
from bot.second_opinions import NO_PREFERRED, REQUESTERS, draft_from_answers, open_request
from bot.settings import get_settings
from bot.store import session_scope
from bot.transport import RideDraft, request_ride
from bot.web import live
from bot.workflow import IllegalTransition

router = APIRouter(prefix="/console", include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
COOKIE = "so_console"
LOGIN_COOKIE = "so_console_login"  # the sign-in form's CSRF token (double submit)
NETWORK_LABELS = {"in_network": "In the plan's network", "out_of_network": "Out of network"}
URGENCY_LABELS = {"urgent": "Urgent", "routine": "Routine"}
REQUESTER_LABELS = {"member": "The member", "representative": "The member's representative", "provider": "A provider"}
NOT_GIVEN = "Not given yet"
LANGUAGE_LABELS = {"en": "English", "es": "Spanish (español)"}
CRISIS_LABELS = {
    "suicide": "Crisis: suicide",
    "self_harm": "Crisis: self-harm",
    "overdose": "Crisis: overdose",
    "medical": "Crisis: medical emergency",
    "danger": "Crisis: in danger from someone",
}


@dataclass(frozen=True)
class SummaryRow:
    """One line of a conversation's summary: an English label for the agent, and the
    value; `words` when the value is the member's own words (in their language)."""

    label: str
    value: str
    words: bool = False


class SignInRequired(Exception):
    pass


class FormRefused(Exception):
    """A posted form without the session's CSRF token."""


class NoSuchConversation(Exception):
    pass


class NotHolding(Exception):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(handoff_id)
        self.handoff_id = handoff_id


def install(app: FastAPI) -> None:
    """Add the console to the gateway app: routes, its error pages, the sweeper."""
    app.include_router(router)
    app.add_exception_handler(SignInRequired, lambda request, exc: RedirectResponse("/console/login", 303))
    app.add_exception_handler(
        FormRefused,
        lambda request, exc: HTMLResponse(
            "<!doctype html><title>Refused</title><p>This form could not be checked (its security token is "
            "missing or old). Go back, reload the page and try again.</p>",
            status_code=403,
        ),
    )
    app.add_exception_handler(
        NoSuchConversation,
        lambda request, exc: HTMLResponse(
            "<!doctype html><title>Not found</title><p>No such conversation. <a href='/console'>Back to the "
            "queue</a></p>",
            status_code=404,
        ),
    )
    app.add_exception_handler(
        NotHolding,
        lambda request, exc: _back(exc.handoff_id, error="Only the agent holding this conversation can do that."),
    )
    app.add_event_handler("startup", lambda: live.start_sweeper(app))


def _secure(request: Request) -> bool:
    """Secure cookies whenever the public address is https: PUBLIC_BASE_URL says so, or
    (without it) a trusted proxy's X-Forwarded-Proto or the connection itself does.
    Never the Host header, which the client chooses."""
    settings = get_settings()
    if settings.public_base_url:
        return settings.public_base_url.lower().startswith("https://")
    if (
        request.client
        and request.client.host in settings.trusted_proxy_addresses
        and request.headers.get("x-forwarded-proto")
    ):
        return request.headers["x-forwarded-proto"].lower() == "https"
    return request.url.scheme == "https"


def signed_in(request: Request) -> ConsoleSession:
    console = agents.session_for(request.cookies.get(COOKIE))
    if console is None:
        raise SignInRequired()
    return console


async def checked_form(request: Request, expected: str | None) -> dict[str, str]:
    """The posted form; FormRefused when its CSRF token is missing or wrong."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    given = form.get("csrf", "")
    if not (expected and given and secrets.compare_digest(given.encode(), expected.encode())):
        raise FormRefused()
    return form


def render_page(
    request: Request, name: str, console: ConsoleSession | None, status_code: int = 200, **context: Any
) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "console": console,
            "plan_name": plan_name,
            "reason_label": live.REASON_LABELS.get,
            "when": _when,
            "crisis_label": CRISIS_LABELS.get,
            "language_label": language_label,
            "waited": _waited,
            **context,
        },
        status_code=status_code,
    )


def language_label(lang: str | None) -> str:
    """The member's language as agents read it (the assistant's slot, in the handoff summary)."""
    return LANGUAGE_LABELS.get(lang or "en", lang or "")


def plan_name(plan: str | None) -> str:
    return kb().plan(plan).name if plan in kb().plans else "Plan not known yet"


def _when(moment: datetime | None) -> str:
    return to_pacific(moment).strftime("%b %-d, %-I:%M %p") if moment else ""


def _waited(view: HandoffView) -> str:
    minutes = int(view.waited().total_seconds() // 60)
    return "under a minute" if minutes < 1 else f"{minutes} min"


# -- signing in and out ------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, error: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render_page(request, "login.html", None, csrf=token, error=error)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, secure=_secure(request), samesite="strict", path="/console")
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request, request.cookies.get(LOGIN_COOKIE))
    source = request.client.host if request.client else ""
    agent, _ = await asyncio.to_thread(agents.authenticate, form.get("username", ""), form.get("password", ""), source)
    if agent is None:  # one answer for every refusal: nothing says whether the account exists
        message = (
            "That username and password do not match, or sign-in is paused after several failed "
            "tries. Ask a supervisor if it is urgent."
        )
        token = secrets.token_urlsafe(32)
        response = render_page(request, "login.html", None, status_code=401, csrf=token, error=message)
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, secure=_secure(request), samesite="strict", path="/console"
        )
        return response
    session_token, _ = agents.start_session(agent)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE,
        session_token,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
        path="/console",
        max_age=agents.SESSION_HOURS * 3600,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    console = signed_in(request)
    await checked_form(request, console.csrf_token)
    agents.end_session(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


# -- the queue ---------------------------------------------------------------------------


@router.get("")
def queue_page(request: Request, notice: str = "") -> Response:
    console = signed_in(request)
    return render_page(request, "queue.html", console, notice=notice, **_queue_context())


@router.get("/queue.part")
def queue_part(request: Request) -> Response:
    console = signed_in(request)
    return render_page(request, "_queue.html", console, **_queue_context())


def _queue_context() -> dict[str, Any]:
    views = handoff.queue()
    return {
        "waiting": [v for v in views if v.status == "waiting"],
        "held": [v for v in views if v.status == "held"],
        "callbacks": handoff.open_callbacks(),
        "safety_counts": safety_answers.counts(),
    }


@router.post("/callbacks/{callback_id}/done")
async def callback_done(request: Request, callback_id: int) -> Response:
    console = signed_in(request)
    await checked_form(request, console.csrf_token)
    handoff.finish_callback(callback_id, console.agent.username)
    await live.queue_changed()
    return RedirectResponse("/console", status_code=303)


# -- one conversation --------------------------------------------------------------------


def _found(handoff_id: int) -> HandoffView:
    view = handoff.get(handoff_id)
    if view is None:
        raise NoSuchConversation()
    return view


@router.get("/handoffs/{handoff_id}")
def conversation_page(request: Request, handoff_id: int, notice: str = "", error: str = "") -> Response:
    console = signed_in(request)
    view = _found(handoff_id)
    audit_access(console, "read", "conversation", str(handoff_id))
    return render_page(
        request,
        "conversation.html",
        console,
        view=view,
        notice=notice,
        error=error,
        **_conversation_context(view, console),
    )


@router.get("/handoffs/{handoff_id}/live.part")
def conversation_part(request: Request, handoff_id: int) -> Response:
    console = signed_in(request)
    view = _found(handoff_id)
    return render_page(request, "_conversation_live.html", console, view=view, **_conversation_context(view, console))


def _conversation_context(view: HandoffView, console: ConsoleSession) -> dict[str, Any]:
    collected = _collected(view)
    member_id = _verified_member(view)[0]
    return {
        "collected": collected,
        "member_id": member_id,
        "summary_rows": _summary_rows(view, collected, member_id),
        "words_lang": collected.get("language") or "en",
        "mine": view.status == "held" and view.agent == console.agent.username,
        "transcript": handoff.transcript(view.id),
        "situations": kb().situations(),
        "requesters": REQUESTERS,
        "networks": NETWORKS,
        "urgencies": URGENCIES,
        "mobility": kb().ride_mobilities(),
        "grievance_about": ABOUT,
        "next_statuses": records.next_statuses,
        **records.of_conversation(view.conversation_id, member_id),
    }


@router.post("/handoffs/{handoff_id}/claim")
async def claim(request: Request, handoff_id: int) -> Response:
    console = signed_in(request)
    await checked_form(request, console.csrf_token)
    _found(handoff_id)
    result = handoff.claim(handoff_id, console.agent.username, console.agent.display_name)
    if not result.won:
        view = _found(handoff_id)
        who = f"{result.holder} has this conversation." if result.status == "held" else "This conversation is closed."
        return render_page(
            request,
            "conversation.html",
            console,
            status_code=409,
            view=view,
            notice="",
            error=f"Already taken: {who}",
            **_conversation_context(view, console),
        )
    view = _found(handoff_id)
    await live.notice(
        request.app, view, text("agent_joined", live.member_language(view), agent_name=console.agent.display_name)
    )
    await live.queue_changed(handoff_id)
    return RedirectResponse(f"/console/handoffs/{handoff_id}", status_code=303)


async def _holding(request: Request, handoff_id: int) -> tuple[ConsoleSession, dict[str, str], HandoffView]:
    """(console, form, view) for a form posted by the agent holding the conversation."""
    console = signed_in(request)
    form = await checked_form(request, console.csrf_token)
    view = _found(handoff_id)
    if not (view.status == "held" and view.agent == console.agent.username):
        raise NotHolding(handoff_id)
    return console, form, view


def _back(handoff_id: int, notice: str = "", error: str = "") -> RedirectResponse:
    query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
    return RedirectResponse(f"/console/handoffs/{handoff_id}" + (f"?{query}" if query else ""), status_code=303)


@router.post("/handoffs/{handoff_id}/reply")
async def reply(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    try:
        message = handoff.post_agent_message(
            handoff_id, console.agent.username, console.agent.display_name, form.get("body", "")
        )
    except NotHolder:
        raise NotHolding(handoff_id) from None
    except ValueError:
        return _back(handoff_id, error="Write a message first.")
    await live.agent_said(request.app, view, message)
    await live.queue_changed(handoff_id)
    return _back(handoff_id)


@router.post("/handoffs/{handoff_id}/hand-back")
async def hand_back(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    try:
        closed = handoff.hand_back(handoff_id, console.agent.username)
    except NotHolder:
        raise NotHolding(handoff_id) from None
    await live.assistant_takes_over(request.app, closed, "action_agent_handed_back")
    await live.queue_changed(handoff_id)
    return RedirectResponse("/console?notice=Handed+back+to+the+assistant.", status_code=303)


# -- the member's records, through the same bot/ services as the assistant -------------


def _agent_actor(console: ConsoleSession) -> str:
    return f"agent:{console.agent.username}"


@router.post("/handoffs/{handoff_id}/verify")
async def verify(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    dob = members.parse_dob(form.get("dob", ""))
    member = members.verify(members.normalize_member_id(form.get("member_id", "")), dob) if dob else None
    audit_access(
        console, "verify", "member", member.member_id if member else None, "verified" if member else "no match"
    )
    if member is None:
        return _back(handoff_id, error="No member matches that ID and date of birth.")
    handoff.set_agent_slots(
        handoff_id,
        console.agent.username,
        verified=True,
        member_id=member.member_id,
        member_plan=member.plan,
        plan=member.plan,
        dob=members.VERIFIED_MARKER,
    )
    return _back(handoff_id, notice=f"Verified: member {member.member_id} ({plan_name(member.plan)}).")


def _collected(view: HandoffView) -> dict[str, Any]:
    """What the assistant collected, with what agents settled since."""
    return {**view.summary, **view.agent_slots}


def _summary_rows(view: HandoffView, collected: dict[str, Any], member_id: str | None) -> list[SummaryRow]:
    """What the assistant collected, for the agent before the transcript: the plan,
    whether the member is verified (as the database says), why a person, and the
    request's answers so far. Labels in English; the member's words as they wrote them.
    Never the date of birth: it is not among these, whatever the slots hold."""

    def given(slot: str, labels: dict[str, str] | None = None) -> str:
        value = collected.get(slot)
        if value in (None, ""):
            return NOT_GIVEN
        return labels.get(str(value), str(value)) if labels is not None else str(value)

    def member_said(label: str, slot: str) -> SummaryRow:
        return SummaryRow(label, given(slot), words=collected.get(slot) not in (None, ""))

    if member_id:
        verified = f"Yes: member {member_id}"
    elif collected.get("verification_locked"):
        verified = "No: locked after failed tries"
    else:
        verified = "No"
    situations = {s.id: f"{s.number}. {s.label}" for s in kb().situations()}
    preferred = collected.get("preferred_provider")
    return [
        SummaryRow("Plan", plan_name(collected.get("member_plan") or collected.get("plan") or view.plan)),
        SummaryRow("Verified", verified),
        SummaryRow("Why a person", live.REASON_LABELS.get(view.reason, view.reason)),
        SummaryRow("Language", language_label(collected.get("language"))),
        SummaryRow("Situation", given("reason", situations)),
        member_said("Reason, in the member's words", "reason_text"),
        member_said("First opinion from", "initial_provider"),
        member_said("Their specialty", "initial_specialty"),
        member_said("What they recommended", "initial_recommendation"),
        member_said("When", "initial_date"),
        SummaryRow("Asked for by", given("requested_by", REQUESTER_LABELS)),
        SummaryRow("Second-opinion provider", given("network", NETWORK_LABELS)),
        SummaryRow(
            "Preferred provider",
            "No preference" if preferred == NO_PREFERRED else given("preferred_provider"),
            words=preferred not in (None, "", NO_PREFERRED),
        ),
        SummaryRow("Urgency", given("urgency", URGENCY_LABELS)),
    ]


def _verified_member(view: HandoffView) -> tuple[str | None, str | None]:
    """(member ID, plan from their record) once verified, else (None, None): verified by
    an agent here, or by the assistant as the database records it (never the summary's
    slots, which a caller of the assistant could have set)."""
    if view.agent_slots.get("verified"):
        return view.agent_slots.get("member_id"), view.agent_slots.get("member_plan") or view.plan
    member = verification.verified_member(view.conversation_id)
    return (member.member_id, member.plan) if member else (None, None)


def audit_access(console: ConsoleSession, action: str, entity: str, key: str | None, detail: str | None = None) -> None:
    with session_scope() as session:
        audit.record(session, _agent_actor(console), action, entity, key, detail)


@router.post("/handoffs/{handoff_id}/request")
async def new_request(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    member_id, plan = _verified_member(view)
    if not member_id or plan is None:  # a verified member always has their record's plan
        return _back(handoff_id, error="Verify the member first.")
    try:
        draft = draft_from_answers(plan, form)
        opened = open_request(
            draft, view.conversation_id, view.channel, member_id=member_id, opened_by=_agent_actor(console)
        )
    except (ValueError, KeyError) as exc:
        return _back(handoff_id, error=f"Not opened: {exc}")
    audit_access(console, "create", "request", opened.reference)
    handoff.set_agent_slots(handoff_id, console.agent.username, request_reference=opened.reference)
    return _back(handoff_id, notice=f"Request {opened.reference} opened.")


@router.post("/handoffs/{handoff_id}/ride")
async def new_ride(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    member_id, plan = _verified_member(view)
    if (
        not member_id
        or plan is None
        or form.get("mobility") not in kb().ride_mobilities()
        or not form.get("pickup_address", "").strip()
    ):
        return _back(handoff_id, error="Verify the member, and give the pickup address and how they get around.")
    when_text = form.get("appointment", "").strip()
    when, _ = nlp.parse_appointment(when_text, utcnow()) if when_text else (None, True)
    ride = request_ride(
        RideDraft(
            plan=plan,
            pickup_address=form["pickup_address"].strip()[:500],
            companion=form.get("companion") == "yes",
            mobility=form["mobility"],
            appointment_at=when,
            appointment_text=when_text or None,
        ),
        view.conversation_id,
        member_id,
        form.get("request_reference") or None,
        by=_agent_actor(console),
    )
    audit_access(console, "create", "ride", ride.reference)
    return _back(handoff_id, notice=f"Ride {ride.reference} asked for.")


@router.post("/handoffs/{handoff_id}/grievance")
async def new_grievance(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    member_id, plan = _verified_member(view)
    if not member_id or plan is None or form.get("about") not in ABOUT or not form.get("account_text", "").strip():
        return _back(handoff_id, error="Verify the member, and give what the grievance is about in their words.")
    row = file_grievance(
        plan,
        form["about"],
        form["account_text"].strip()[:4000],
        form.get("expedited") == "yes",
        view.conversation_id,
        member_id,
        form.get("request_reference") or None,
        by=_agent_actor(console),
    )
    audit_access(console, "create", "grievance", row.reference)
    return _back(handoff_id, notice=f"Grievance {row.reference} filed.")


@router.post("/handoffs/{handoff_id}/status")
async def move_record(request: Request, handoff_id: int) -> Response:
    console, form, view = await _holding(request, handoff_id)
    try:
        with session_scope() as session:
            reference = records.move(
                session,
                form.get("kind", ""),
                form.get("reference", ""),
                form.get("status", ""),
                _agent_actor(console),
                form.get("note") or None,
                form.get("reasons") or None,
            ).reference
    except LookupError:
        return _back(handoff_id, error="No such record.")
    except IllegalTransition as exc:
        return _back(handoff_id, error=f"Not changed: {exc}.")
    return _back(handoff_id, notice=f"{reference} is now {form.get('status')}.")


# -- live updates ------------------------------------------------------------------------


@router.websocket("/live")
async def live_updates(ws: WebSocket) -> None:
    if agents.session_for(ws.cookies.get(COOKIE)) is None:
        await ws.close(code=4401)
        return
    await ws.accept()
    live.HUB.consoles.add(ws)
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        live.HUB.consoles.discard(ws)
