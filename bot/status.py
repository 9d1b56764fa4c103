"""What a verified member hears when they ask how their requests, rides and grievances
stand: each record's status in plain words, when a decision is due under their plan's
rule (the deadline stored when the request was opened, the one they were told), and
what comes next. Every sentence is a catalog text filled from the record or from
policies_kb (bot/policy.py); nothing here decides a rule.
"""

from __future__ import annotations

from datetime import datetime

from bot.deadlines import to_pacific, utcnow
from bot.grievances import OPEN_GRIEVANCE
from bot.messages import moment, text
from bot.policy import kb
from bot.rights import rights_answer
from bot.second_opinions import AWAITING_DECISION
from bot.store import repository, session_scope
from bot.store.models import Grievance, Ride, SecondOpinionRequest
from bot.store.repository import as_utc

SHOWN_AT_MOST = 3  # of each kind, newest first: a text message stays readable


def due_label(when: datetime | None, lang: str) -> str:
    """A deadline as the member reads it (Pacific time): the same words when the request
    is opened and whenever they ask how it stands."""
    return moment(to_pacific(as_utc(when)), "due_format", lang) if when else ""


def _plan_name(plan: str) -> str:
    return kb().plan(plan).name


def request_lines(row: SecondOpinionRequest, lang: str, now: datetime) -> list[str]:
    """One request: its status, then the deadline or the next step (a denial: its
    reasons and the member's rights, from the plan's policy)."""
    plan_name = _plan_name(row.plan)
    no_decision = row.status in AWAITING_DECISION and not row.authorization_required
    state = text("status_request_no_approval" if no_decision else f"status_request_{row.status}", lang)
    lines = [text("status_request_line", lang, reference=row.reference, status=state)]
    if row.status in AWAITING_DECISION:
        if no_decision:  # the plan's own next step (policies_kb/), when it gives one
            next_steps = kb().requirement(row.plan, row.network, row.urgency, lang).next_steps
            lines.append(next_steps or text("status_no_decision_needed", lang))
        elif row.decision_due_at is None:
            lines.append(text("status_no_due_date", lang, plan_name=plan_name))
        else:
            key = "status_decision_late" if as_utc(row.decision_due_at) < now else "status_decision_due"
            lines.append(text(key, lang, plan_name=plan_name, due=due_label(row.decision_due_at, lang)))
    elif row.status == "denied":
        reasons = (row.denial_reasons or "").strip() or text("status_no_reasons_given", lang)
        lines += [
            text("status_denied_reasons", lang, reasons=reasons),
            rights_answer(row.plan, "refused", lang),
            text("status_denied_offer", lang),
        ]
    elif row.status == "approved":
        lines.append(text("status_next_approved", lang))
    elif row.status == "scheduled":
        lines.append(text("ride_offer", lang))
    return lines


def appointment_label(when: datetime | None, lang: str) -> str:
    return moment(to_pacific(as_utc(when)), "when_format", lang) if when else text("ride_appointment_not_set", lang)


def ride_line(row: Ride, lang: str) -> str:
    return text(
        "ride_status_line",
        lang,
        reference=row.reference,
        appointment=appointment_label(row.appointment_at, lang),
        status=text(f"ride_status_{row.status}", lang),
    )


def grievance_lines(row: Grievance, lang: str, now: datetime) -> list[str]:
    lines = [
        text(
            "status_grievance_line", lang, reference=row.reference, status=text(f"status_grievance_{row.status}", lang)
        )
    ]
    if row.status in OPEN_GRIEVANCE:
        lines.append(
            text(
                "status_grievance_due",
                lang,
                plan_name=_plan_name(row.plan),
                resolve_due=due_label(row.resolve_due_at, lang),
            )
        )
    return lines


def report(member_id: str, lang: str, reference: str | None = None, now: datetime | None = None) -> list[str]:
    """The member's records in reading order; only theirs, by member ID (a reference that
    is not theirs is treated as not found). An empty list: nothing on file."""
    now = now or utcnow()
    with session_scope() as session:
        found = repository.member_records(session, member_id)
        requests, rides, grievances = found["requests"], found["rides"], found["grievances"]
        if reference:
            wanted = reference.upper()
            requests = [r for r in requests if r.reference == wanted]
            rides = [r for r in rides if r.reference == wanted]
            grievances = [g for g in grievances if g.reference == wanted]
        lines: list[str] = []
        for req in requests[:SHOWN_AT_MOST]:
            lines += request_lines(req, lang, now)
        lines += [ride_line(r, lang) for r in rides[:SHOWN_AT_MOST]]
        for grievance in grievances[:SHOWN_AT_MOST]:
            lines += grievance_lines(grievance, lang, now)
        return lines
