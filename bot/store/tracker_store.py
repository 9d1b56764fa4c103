"""Rasa's SQL tracker store, with every date-of-birth answer hidden before it is written
(bot/store/redaction.py), and its SQLite file private to this user (0600).

endpoints.yml: `tracker_store: {type: bot.store.tracker_store.RedactingSQLTrackerStore, url: ...}`
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.store.db import make_private
from bot.store.redaction import asking_before, redacted


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        make_private(str(self.engine.url))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        new = list(super()._additional_events(session, tracker))
        earlier = [e.as_dict() for e in tracker.events][: len(tracker.events) - len(new)]
        for event in redacted((e.as_dict() for e in new), asking_before(earlier)):
            yield Event.from_parameters(event)
