"""Tracker retention: conversation events older than a period are deleted.
The records (requests, members, audit) are not touched."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import create_engine, inspect, text

from bot.deadlines import utcnow
from bot.settings import Settings, get_settings

DEFAULT_RETENTION_DAYS = Settings.__fields__["tracker_retention_days"].default


def retention_days() -> int:
    return get_settings().tracker_retention_days


def purge_tracker_events(tracker_url: str, days: int | None = None, now: datetime | None = None) -> int:
    """Delete Rasa tracker events older than `days`; returns how many were deleted."""
    days = retention_days() if days is None else days
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = ((now or utcnow()) - timedelta(days=days)).timestamp()
    engine = create_engine(tracker_url, future=True)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        with engine.begin() as conn:
            deleted: int = conn.execute(
                text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff}
            ).rowcount
            return deleted
    finally:
        engine.dispose()
