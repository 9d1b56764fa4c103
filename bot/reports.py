"""The supervisors' figures and the list behind each of them, in one place: the console's
dashboard (bot/web/dashboard.py), its CSV exports and its JSON all call these functions.

Every figure is the number of rows of one list under one filter (`Figure`): the number
shown and the list it links to are the same rows by construction. Deadlines are the ones
stored on each record when it was opened (what the member was told); statuses come
from each record's own workflow; nothing here decides a rule again. Times are UTC; days
and weeks are counted in Pacific time (bot/deadlines.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import groupby
from typing import Any

from sqlalchemy import create_engine, inspect, select, text

from bot.deadlines import PACIFIC, to_pacific, utcnow
from bot.grievances import NEXT_GRIEVANCE_STATUSES, OPEN_GRIEVANCE
from bot.handoff import OPEN as OPEN_HANDOFF
from bot.handoff import REASONS
from bot.policy import kb
from bot.runtime import tracker_store_url
from bot.second_opinions import AWAITING_DECISION, STATUSES
from bot.store import session_scope
from bot.store.models import CallbackTask, Grievance, Handoff, Ride, SecondOpinionRequest
from bot.store.repository import as_utc
from bot.transport import ACTIVE_RIDE_STATUSES

# A grievance not yet acknowledged: it can still move to acknowledged.
UNACKNOWLEDGED_GRIEVANCE = tuple(s for s, moves in NEXT_GRIEVANCE_STATUSES.items() if "acknowledged" in moves)
# A member silent this long has finished the conversation; a message after it starts another.
QUIET = timedelta(hours=24)
YES, NO = "yes", "no"
Row = dict[str, Any]


def week_start(now: datetime) -> datetime:
    """The start of "this week": Monday 12:00 AM Pacific (UTC)."""
    local = to_pacific(now)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=PACIFIC).astimezone(timezone.utc)


def end_of_today(now: datetime) -> datetime:
    """Midnight at the end of today, Pacific (UTC)."""
    tomorrow = to_pacific(now).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).astimezone(timezone.utc)


def _yes(flag: bool) -> str:
    return YES if flag else NO


# -- the lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class ListKind:
    """A list the dashboard's numbers link to: its columns (key, heading) and the keys it
    can be filtered on (exact match)."""

    name: str
    title: str
    columns: tuple[tuple[str, str], ...]
    filters: tuple[str, ...]
    rows: Callable[[datetime], list[Row]]


def decision_state(status: str, due: datetime | None, now: datetime) -> str:
    """ "overdue", "due_today" or "" for a request: open, with a stored deadline past or
    later today (Pacific)."""
    if status not in AWAITING_DECISION or due is None:
        return ""
    if due < now:
        return "overdue"
    return "due_today" if due < end_of_today(now) else ""


def request_rows(now: datetime) -> list[Row]:
    """Every second-opinion request, oldest first."""
    start = week_start(now)
    with session_scope() as session:
        found = session.execute(select(SecondOpinionRequest).order_by(SecondOpinionRequest.id)).scalars()
        return [_request_row(r, now, start) for r in found]


def _request_row(r: SecondOpinionRequest, now: datetime, start: datetime) -> Row:
    due = as_utc(r.decision_due_at)
    return {
        "reference": r.reference,
        "member_id": r.member_id or "",
        "plan": r.plan,
        "status": r.status,
        "urgency": r.urgency,
        "language": r.language or "en",
        "received_at": as_utc(r.received_at),
        "decision_due_at": due,
        "decision": decision_state(r.status, due, now),
        "this_week": _yes(as_utc(r.received_at) >= start),
    }


def ride_rows(now: datetime) -> list[Row]:
    """Rides still requested or scheduled that were asked for inside the plan's lead time."""
    with session_scope() as session:
        found = session.execute(
            select(Ride).where(Ride.inside_lead_time.is_(True), Ride.status.in_(ACTIVE_RIDE_STATUSES)).order_by(Ride.id)
        ).scalars()
        return [
            {
                "reference": r.reference,
                "member_id": r.member_id or "",
                "plan": r.plan,
                "status": r.status,
                "mode": r.mode,
                "appointment_at": as_utc(r.appointment_at),
                "created_at": as_utc(r.created_at),
            }
            for r in found
        ]


def grievance_rows(now: datetime) -> list[Row]:
    """Open grievances (received or acknowledged), each marked past acknowledgement / resolution."""
    with session_scope() as session:
        found = session.execute(
            select(Grievance).where(Grievance.status.in_(OPEN_GRIEVANCE)).order_by(Grievance.id)
        ).scalars()
        return [_grievance_row(g, now) for g in found]


def _grievance_row(g: Grievance, now: datetime) -> Row:
    acknowledge_by, resolve_by = as_utc(g.acknowledge_due_at), as_utc(g.resolve_due_at)
    return {
        "reference": g.reference,
        "member_id": g.member_id or "",
        "plan": g.plan,
        "status": g.status,
        "expedited": _yes(g.expedited),
        "received_at": as_utc(g.received_at),
        "acknowledge_due_at": acknowledge_by,
        "resolve_due_at": resolve_by,
        "past_acknowledgement": _yes(g.status in UNACKNOWLEDGED_GRIEVANCE and acknowledge_by < now),
        "past_resolution": _yes(resolve_by < now),
    }


def handoff_rows(now: datetime) -> list[Row]:
    """Handoffs open now or put in the queue this week, with how long each waited for an
    agent (until claimed, closed unclaimed, or now)."""
    start = week_start(now)
    with session_scope() as session:
        found = session.execute(
            select(Handoff)
            .where((Handoff.status.in_(OPEN_HANDOFF)) | (Handoff.created_at >= start))
            .order_by(Handoff.id)
        ).scalars()
        return [_handoff_row(h, now, start) for h in found]


def _handoff_row(h: Handoff, now: datetime, start: datetime) -> Row:
    created = as_utc(h.created_at)
    waited_until = as_utc(h.claimed_at) or as_utc(h.closed_at) or now
    return {
        "handoff": h.id,
        "plan": h.plan or "",
        "channel": h.channel,
        "reason": h.reason,
        "status": h.status,
        "created_at": created,
        "wait_minutes": round((waited_until - created).total_seconds() / 60, 1),
        "waiting_now": _yes(h.status == "waiting"),
        "this_week": _yes(created >= start),
    }


def callback_rows(now: datetime) -> list[Row]:
    """Callbacks not yet made, oldest first, with their age (no deadline is set for them)."""
    with session_scope() as session:
        found = session.execute(
            select(CallbackTask).where(CallbackTask.status == "open").order_by(CallbackTask.created_at)
        ).scalars()
        return [
            {
                "callback": c.id,
                "plan": c.plan or "",
                "channel": c.channel,
                "reason": c.reason,
                "created_at": as_utc(c.created_at),
                "age_hours": round((now - as_utc(c.created_at)).total_seconds() / 3600, 1),
            }
            for c in found
        ]


# -- conversations, from Rasa's tracker store -------------------------------------------


@dataclass
class Conversation:
    """One conversation: a member's messages with no silence of QUIET between them."""

    sender: str
    started_at: datetime
    last_message_at: datetime
    asking: str | None = None  # the form's question still waiting for an answer
    language: str = "en"
    handoff_reason: str | None = None

    @property
    def ended_at(self) -> datetime:
        return self.last_message_at + QUIET

    @property
    def outcome(self) -> str:
        if self.handoff_reason:
            return "handed_off"
        return "abandoned" if self.asking else "contained"


@dataclass(frozen=True)
class TrackerEvent:
    sender: str
    kind: str
    at: datetime
    data: dict[str, Any]


def tracker_events(since: datetime, url: str | None = None) -> list[TrackerEvent]:
    """Member messages, slots and restarts since `since`, by conversation then time. Only
    the slots' names and values are read, never what the member wrote."""
    engine = create_engine(url or tracker_store_url(), future=True)
    try:
        if "events" not in inspect(engine).get_table_names():
            return []
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT sender_id, type_name, timestamp, data FROM events "
                    "WHERE timestamp >= :since AND type_name IN ('user', 'slot', 'restart') "
                    "ORDER BY sender_id, timestamp, id"
                ),
                {"since": since.timestamp()},
            ).all()
    finally:
        engine.dispose()
    return [_event(r.sender_id, r.type_name, r.timestamp, r.data) for r in found]


def _event(sender: str, kind: str, timestamp: float, data: str | None) -> TrackerEvent:
    payload = json.loads(data or "{}") if kind == "slot" else {}
    slot = {"name": payload.get("name"), "value": payload.get("value")}
    return TrackerEvent(sender, kind, datetime.fromtimestamp(timestamp, timezone.utc), slot)


def conversations_in(events: Iterable[TrackerEvent]) -> Iterator[Conversation]:
    for sender, own in groupby(events, key=lambda e: e.sender):
        yield from _split(sender, own)


def _split(sender: str, events: Iterable[TrackerEvent]) -> Iterator[Conversation]:
    """A sender's events as conversations; the language is the last one set (it carries
    over), the question the last requested_slot (cleared by a restart)."""
    current: Conversation | None = None
    language = "en"
    for e in events:
        if e.kind == "user" and (current is None or e.at - current.last_message_at >= QUIET):
            if current is not None:
                yield current
            current = Conversation(sender, e.at, e.at, language=language)
        if current is None:
            continue
        if e.kind == "user":
            current.last_message_at = e.at
        elif e.kind == "restart":
            current.asking = None
        elif e.data["name"] == "requested_slot":
            current.asking = e.data["value"] or None
        elif e.data["name"] == "language" and e.data["value"]:
            language = current.language = str(e.data["value"])
    if current is not None:
        yield current


def finished_conversations(now: datetime, url: str | None = None) -> list[Conversation]:
    """Conversations that ended this week (QUIET after the member's last message), each
    with the reason of the first handoff opened in it."""
    start = week_start(now)
    finished = [c for c in conversations_in(tracker_events(start - QUIET, url)) if start <= c.ended_at <= now]
    _attach_handoffs(finished)
    return finished


def _attach_handoffs(conversations: list[Conversation]) -> None:
    if not conversations:
        return
    senders = {c.sender for c in conversations}
    with session_scope() as session:
        handoffs = session.execute(
            select(Handoff.conversation_id, Handoff.created_at, Handoff.reason)
            .where(Handoff.conversation_id.in_(senders))
            .order_by(Handoff.created_at)
        ).all()
    for c in conversations:
        c.handoff_reason = next(
            (
                reason
                for conversation_id, created, reason in handoffs
                if conversation_id == c.sender and c.started_at <= as_utc(created) < c.ended_at
            ),
            None,
        )


def conversation_rows(now: datetime) -> list[Row]:
    """Conversations that ended this week: contained, handed off (why) or abandoned (where)."""
    return [
        {
            "conversation": c.sender,
            "started_at": c.started_at,
            "last_message_at": c.last_message_at,
            "ended_at": c.ended_at,
            "outcome": c.outcome,
            "reason": c.handoff_reason or "",
            "question": c.asking if c.outcome == "abandoned" else "",
            "language": c.language,
        }
        for c in finished_conversations(now)
    ]


LISTS: dict[str, ListKind] = {
    kind.name: kind
    for kind in (
        ListKind(
            "requests",
            "Second-opinion requests",
            (
                ("reference", "Reference"),
                ("member_id", "Member ID"),
                ("plan", "Plan"),
                ("status", "Status"),
                ("urgency", "Urgency"),
                ("language", "Language"),
                ("received_at", "Received"),
                ("decision_due_at", "Decision due"),
            ),
            ("plan", "status", "decision", "language", "this_week"),
            request_rows,
        ),
        ListKind(
            "rides",
            "Rides asked for inside the lead time",
            (
                ("reference", "Reference"),
                ("member_id", "Member ID"),
                ("plan", "Plan"),
                ("status", "Status"),
                ("mode", "Kind"),
                ("appointment_at", "Visit"),
                ("created_at", "Asked"),
            ),
            ("plan",),
            ride_rows,
        ),
        ListKind(
            "grievances",
            "Open grievances",
            (
                ("reference", "Reference"),
                ("member_id", "Member ID"),
                ("plan", "Plan"),
                ("status", "Status"),
                ("expedited", "Expedited"),
                ("received_at", "Received"),
                ("acknowledge_due_at", "Acknowledge by"),
                ("resolve_due_at", "Resolve by"),
            ),
            ("plan", "past_acknowledgement", "past_resolution"),
            grievance_rows,
        ),
        ListKind(
            "handoffs",
            "Conversations handed to a person",
            (
                ("handoff", "Conversation #"),
                ("plan", "Plan"),
                ("channel", "Channel"),
                ("reason", "Why"),
                ("status", "Status"),
                ("created_at", "Queued"),
                ("wait_minutes", "Waited (min)"),
            ),
            ("waiting_now", "this_week", "reason", "plan"),
            handoff_rows,
        ),
        ListKind(
            "callbacks",
            "Callbacks not yet made",
            (
                ("callback", "Callback #"),
                ("plan", "Plan"),
                ("channel", "Channel"),
                ("reason", "Why"),
                ("created_at", "Asked"),
                ("age_hours", "Age (hours)"),
            ),
            ("plan",),
            callback_rows,
        ),
        ListKind(
            "conversations",
            "Conversations that ended this week",
            (
                ("conversation", "Conversation"),
                ("started_at", "Started"),
                ("last_message_at", "Member's last message"),
                ("ended_at", "Ended (24 h later)"),
                ("outcome", "Outcome"),
                ("reason", "Handoff reason"),
                ("question", "Stopped at"),
                ("language", "Language"),
            ),
            ("outcome", "reason", "question", "language"),
            conversation_rows,
        ),
    )
}


def matching(rows: Iterable[Row], filters: dict[str, str]) -> list[Row]:
    return [r for r in rows if all(str(r.get(k, "")) == v for k, v in filters.items())]


def list_rows(name: str, filters: dict[str, str], now: datetime | None = None) -> list[Row]:
    """The rows of list `name` under `filters` (only the list's own keys); KeyError for
    an unknown list."""
    kind = LISTS[name]
    return matching(kind.rows(now or utcnow()), known_filters(name, filters))


def known_filters(name: str, filters: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in filters.items() if k in LISTS[name].filters}


# -- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number on the dashboard: how many rows of `list_name` match `filters`."""

    label: str
    count: int
    list_name: str
    filters: dict[str, str]


def _figure(label: str, rows: list[Row], list_name: str, **filters: str) -> Figure:
    return Figure(label, len(matching(rows, filters)), list_name, filters)


def _plans(rows: Iterable[Row]) -> list[str]:
    """The configured plans in menu order, then any other plan found in the rows."""
    known = list(kb().plan_ids())
    return known + sorted({r["plan"] for r in rows if r["plan"] and r["plan"] not in known})


def requests_by_plan_and_status(requests: list[Row]) -> dict[str, list[Figure]]:
    """Every request ever received, by its plan and its status now."""
    return {
        plan: [_figure(status, requests, "requests", plan=plan, status=status) for status in STATUSES]
        for plan in _plans(requests)
    }


def decisions_due(requests: list[Row]) -> dict[str, list[Figure]]:
    """Requests received or in review whose stored decision deadline is past, or later today (Pacific)."""
    return {
        plan: [
            _figure("due_today", requests, "requests", plan=plan, decision="due_today"),
            _figure("overdue", requests, "requests", plan=plan, decision="overdue"),
        ]
        for plan in _plans(requests)
    }


def rides_inside_lead_time(rides: list[Row]) -> list[Figure]:
    """Rides still requested or scheduled that were asked for inside the plan's lead time."""
    return [_figure(plan, rides, "rides", plan=plan) for plan in _plans(rides)]


def grievances_past_due(grievances: list[Row]) -> dict[str, list[Figure]]:
    """Open grievances past their stored acknowledge-by (not yet acknowledged) or resolve-by date."""
    return {
        plan: [
            _figure("acknowledgement", grievances, "grievances", plan=plan, past_acknowledgement=YES),
            _figure("resolution", grievances, "grievances", plan=plan, past_resolution=YES),
        ]
        for plan in _plans(grievances)
    }


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def handoff_queue(handoffs: list[Row], callbacks: list[Row]) -> dict[str, Any]:
    """Waiting now; this week's waits (queued until claimed, closed or now), p50/p90; callbacks not made."""
    week = matching(handoffs, {"this_week": YES})
    waits = [r["wait_minutes"] for r in week]
    return {
        "waiting_now": _figure("waiting now", handoffs, "handoffs", waiting_now=YES),
        "queued_this_week": _figure("queued this week", handoffs, "handoffs", this_week=YES),
        "wait_p50_minutes": percentile(waits, 50),
        "wait_p90_minutes": percentile(waits, 90),
        "open_callbacks": _figure("callbacks not yet made", callbacks, "callbacks"),
        "oldest_callback_hours": max((c["age_hours"] for c in callbacks), default=None),
    }


def conversation_outcomes(conversations: list[Row]) -> dict[str, list[Figure]]:
    """Ended this week (24 h after the last message): no person (contained), handed off (why), left mid-form."""
    questions = sorted({r["question"] for r in conversations if r["question"]})
    return {
        "outcomes": [
            _figure(outcome, conversations, "conversations", outcome=outcome)
            for outcome in ("contained", "handed_off", "abandoned")
        ],
        "handed_off_by_reason": [
            _figure(reason, conversations, "conversations", outcome="handed_off", reason=reason) for reason in REASONS
        ],
        "abandoned_by_question": [
            _figure(q, conversations, "conversations", outcome="abandoned", question=q) for q in questions
        ],
    }


def language_mix(requests: list[Row], conversations: list[Row]) -> dict[str, list[Figure]]:
    """Requests received this week and conversations ended this week, by the language spoken."""
    languages = sorted({"en", "es"} | {r["language"] for r in [*requests, *conversations]})
    return {
        "requests_this_week": [_figure(lang, requests, "requests", this_week=YES, language=lang) for lang in languages],
        "conversations": [_figure(lang, conversations, "conversations", language=lang) for lang in languages],
    }


FIGURES = (
    requests_by_plan_and_status,
    decisions_due,
    rides_inside_lead_time,
    grievances_past_due,
    handoff_queue,
    conversation_outcomes,
    language_mix,
)


def definitions() -> dict[str, str]:
    """Each figure's one-line definition (its docstring), by name."""
    return {f.__name__: (f.__doc__ or "").strip() for f in FIGURES}


def dashboard(now: datetime | None = None) -> dict[str, Any]:
    """Every figure, from one read of each list."""
    now = now or utcnow()
    requests, conversations = request_rows(now), conversation_rows(now)
    return {
        "now": now,
        "week_start": week_start(now),
        "requests_by_plan_and_status": requests_by_plan_and_status(requests),
        "decisions_due": decisions_due(requests),
        "rides_inside_lead_time": rides_inside_lead_time(ride_rows(now)),
        "grievances_past_due": grievances_past_due(grievance_rows(now)),
        "handoff_queue": handoff_queue(handoff_rows(now), callback_rows(now)),
        "conversation_outcomes": conversation_outcomes(conversations),
        "language_mix": language_mix(requests, conversations),
    }


def grievance_deadline_sources() -> dict[str, str]:
    """Where the grievance deadlines stored on each grievance come from: the general
    Medi-Cal rules (no plan's own policy sets one)."""
    rules = kb().general["medi_cal_grievance_rights"]["deadlines"]
    return {which: str(rule["source"]) for which, rule in rules.items()}
