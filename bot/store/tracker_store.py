"""Rasa's SQL tracker store, with every date-of-birth answer hidden before it is written
(bot/store/redaction.py), its SQLite file private to this user (0600), and the
conversations this server is serving remembered between turns.

Rasa's own store reads a conversation's whole session back from the database on every
message, turns every row into an event again and counts them to save: about a fifth of
a turn's CPU. Here the events of each recent conversation, as stored (redacted), are
kept in memory, and a message costs one small query (the newest row's id) to check that
no other server wrote to it since; when one did (a failover moved the conversation), or
the conversation is not in memory, it is read from the database as before. What comes
back is exactly what the database holds. SQLite connections are pooled (SQLAlchemy 1.4
opens a new one per query on a file database, and sets the pragmas again each time).

endpoints.yml: `tracker_store: {type: bot.store.tracker_store.RedactingSQLTrackerStore, url: ...}`
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import Event, SessionStarted, SlotSet, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker

from bot.store.db import make_private, sqlite_engine
from bot.store.redaction import redacted

REMEMBERED = 2000  # conversations kept in memory, the least recently used forgotten first


@dataclass
class _Stored:
    newest_id: int | None
    rows: int  # how many rows the session has
    events: list[Event]  # the session's events as the database holds them (redacted), in order


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        make_private(str(url))
        if url.get_backend_name() == "sqlite":
            self.engine.dispose()
            # Write-ahead log, synced at checkpoints: a commit no longer waits for the disk
            # twice. A crash of the process loses nothing; a power cut may lose the last turns.
            self.engine: Any = sqlite_engine(url, ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"])
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._stored: OrderedDict[str, _Stored] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            stored = self._remembered(session, sender_id)
            if stored is None:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
                events = deserialise_events([json.loads(r.data) for r in rows])
                stored = self._remember(sender_id, _Stored(max((r.id for r in rows), default=None), len(rows), events))
        if not stored.rows or self.domain is None:
            return None
        # As Rasa's from_dict, without turning the rows into events again. Events are not
        # changed by being applied, so trackers can share them.
        return DialogueStateTracker.from_events(sender_id, stored.events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            # Checked against the database when this turn retrieved it, under the conversation's lock.
            stored = self._stored.get(tracker.sender_id)
            known = stored.rows if stored else self._event_query(session, tracker.sender_id, False).count()
            events = list(tracker.events)
            new = list(redacted((e.as_dict() for e in events[known:]), _asking(events[:known])))
            added = [self._row(tracker.sender_id, event) for event in new]
            session.add_all(added)
            session.flush()
            newest_id, rows = (added[-1].id if added else None), [row.data for row in added]
            session.commit()
        if stored is None or any(e.get("event") == SessionStarted.type_name for e in new):
            self._stored.pop(tracker.sender_id, None)  # a new session: read it back as Rasa would
        elif added:
            stored.rows += len(rows)
            stored.events += deserialise_events([json.loads(row) for row in rows])  # as read back
            stored.newest_id = newest_id

    def _row(self, sender_id: str, data: dict[str, Any]) -> Any:
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=data["event"],
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _remembered(self, session: Any, sender_id: str) -> _Stored | None:
        """The conversation as remembered, if no one else has written to it since."""
        stored = self._stored.get(sender_id)
        if stored is None:
            return None
        newest = session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()
        if newest != stored.newest_id:
            del self._stored[sender_id]
            return None
        self._stored.move_to_end(sender_id)
        return stored

    def _remember(self, sender_id: str, stored: _Stored) -> _Stored:
        self._stored[sender_id] = stored
        if len(self._stored) > REMEMBERED:
            self._stored.popitem(last=False)
        return stored


def _asking(events: list[Event]) -> str | None:
    """The question being asked after these events (the last requested_slot set), as
    bot.store.redaction.asking_before reads it from their dicts."""
    return next(
        (e.value for e in reversed(events) if isinstance(e, SlotSet) and e.key == REQUESTED_SLOT),
        None,
    )
