"""A member's date of birth is the secret that verifies them, so no conversation keeps
it: the message that answered the date-of-birth question (or that carried a date of
birth while the member ID was asked, or with a member ID at any time) and the `dob` slot filled from it are replaced
by a placeholder before Rasa's tracker store writes them (RedactingSQLTrackerStore),
and `python -m bot.store redact-trackers` does the same to what a database already
holds. The handoff transcript uses the same rule (actions/handoff.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import create_engine, inspect, text

from bot.members import VERIFIED_MARKER, dob_in, gives_identity

DOB_HIDDEN = "(date of birth, hidden)"
ASKING_DOB, ASKING_ID = "dob", "member_id"


def carries_dob(message: str) -> bool:
    return dob_in(message) is not None


def answers_dob(message: str | None, asking: str | None) -> bool:
    """Does this member message answer (or carry) a date of birth?"""
    if not message or message == DOB_HIDDEN:
        return False
    return asking == ASKING_DOB or (asking == ASKING_ID and carries_dob(message)) or gives_identity(message)


def redacted(events: Iterable[dict[str, Any]], asking: str | None = None) -> Iterator[dict[str, Any]]:
    """The events (as Rasa's dicts), in order, with every date-of-birth answer hidden.
    `asking`: the question being asked before the first of them."""
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            asking = event.get("value")
        elif kind == "user" and answers_dob(event.get("text"), asking):
            event = _hide_message(event)
        elif (
            kind == "slot"
            and event.get("name") == "dob"
            and event.get("value") not in (None, VERIFIED_MARKER, DOB_HIDDEN)
        ):
            event = {**event, "value": DOB_HIDDEN}
        yield event


def _hide_message(event: dict[str, Any]) -> dict[str, Any]:
    parse_data = {**(event.get("parse_data") or {}), "text": DOB_HIDDEN, "entities": []}
    return {**event, "text": DOB_HIDDEN, "parse_data": parse_data}


def asking_before(events: list[dict[str, Any]]) -> str | None:
    """The question being asked after these events (the last requested_slot set)."""
    return next(
        (e.get("value") for e in reversed(events) if e.get("event") == "slot" and e.get("name") == "requested_slot"),
        None,
    )


def redact_tracker_store(tracker_url: str) -> int:
    """Hide every date-of-birth answer a tracker store already holds; how many events
    changed."""
    engine = create_engine(tracker_url, future=True)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        changed = 0
        with engine.begin() as conn:
            senders = conn.execute(text("SELECT DISTINCT sender_id FROM events")).scalars().all()
            for sender in senders:
                rows = conn.execute(
                    text("SELECT id, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
                ).all()
                originals = [json.loads(r.data) for r in rows]
                for row, before, after in zip(rows, originals, redacted(originals), strict=True):
                    if after != before:
                        conn.execute(
                            text("UPDATE events SET data = :d WHERE id = :id"), {"d": json.dumps(after), "id": row.id}
                        )
                        changed += 1
        return changed
    finally:
        engine.dispose()
