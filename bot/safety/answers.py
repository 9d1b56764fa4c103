"""Every safety answer is written to the audit log (time, conversation, category,
language, where it was given; never the message), and counted for staff."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from bot import audit
from bot.deadlines import utcnow
from bot.messages import text
from bot.safety import Crisis
from bot.store import session_scope
from bot.store.models import AuditEntry

AUDIT_ACTION = "safety_answer"
WHERE = ("assistant", "form", "held")  # by the assistant, inside a form, or while a person holds it


def answer_text(crisis: Crisis) -> str:
    """988 for thoughts of suicide or self-harm, 911 for an overdose or a medical
    emergency, in the language of the member's message."""
    return text(f"safety_{crisis.answer_kind}", crisis.lang)


def held_answer(crisis: Crisis) -> list[str]:
    """What a member hears at once while a person holds the conversation."""
    return [answer_text(crisis), text("safety_then_held", crisis.lang)]


def record_answer(conversation_id: str, crisis: Crisis, where: str) -> None:
    if where not in WHERE:
        raise ValueError(f"unknown place {where!r}")
    with session_scope() as session:
        audit.record(
            session,
            "assistant",
            AUDIT_ACTION,
            "conversation",
            conversation_id,
            f"{crisis.category} {crisis.lang} {where}",
        )


def counts(since: datetime | None = None) -> dict[str, int]:
    """Safety answers given since `since` (default: the last 7 days), by category."""
    since = since or utcnow() - timedelta(days=7)
    with session_scope() as session:
        details = session.execute(
            select(AuditEntry.detail).where(AuditEntry.action == AUDIT_ACTION, AuditEntry.at >= since)
        ).scalars()
        return dict(Counter((d or "").split(" ")[0] for d in details))
