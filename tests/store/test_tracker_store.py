"""The tracker store remembers the conversations it serves between turns; what it gives
back must always be what the database holds, as Rasa's own SQL store would read it,
even when another Rasa server wrote to the conversation meanwhile (a failover)."""

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from bot.store.tracker_store import RedactingSQLTrackerStore
from tests.databases import database_url_for

DOMAIN = Domain.from_dict({"intents": ["greet"], "slots": {"plan": {"type": "text", "mappings": [{"type": "custom"}]}}})


def turn(n):
    return [
        UserUttered(f"message {n}", {"name": "greet", "confidence": 1.0}),
        SlotSet("plan", f"plan-{n}"),
        BotUttered(f"answer {n}"),
        ActionExecuted("action_listen"),
    ]


async def a_turn(store, sender, n):
    tracker = await store.retrieve(sender)
    for event in turn(n):
        tracker.update(event)
    await store.save(tracker)


def as_rasa_reads_it(url, sender):
    return SQLTrackerStore(domain=DOMAIN, host=url).retrieve(sender)


def summary(tracker):
    return [(e.type_name, getattr(e, "text", None) or getattr(e, "value", None)) for e in tracker.events]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_what_comes_back_is_what_the_database_holds_even_after_another_server_wrote(kind, tmp_path):
    url = database_url_for(kind, tmp_path, "remembered")
    one, two = RedactingSQLTrackerStore(domain=DOMAIN, host=url), RedactingSQLTrackerStore(domain=DOMAIN, host=url)
    start = await one.create_tracker("c1")
    start.update(ActionExecuted("action_session_start"))
    start.update(SessionStarted())
    start.update(ActionExecuted("action_listen"))
    await one.save(start)
    for n in range(3):
        await a_turn(one, "c1", n)
    await a_turn(two, "c1", 3)  # the conversation moved to another server for a turn
    await a_turn(one, "c1", 4)  # and back
    expected = summary(await as_rasa_reads_it(url, "c1"))
    assert summary(await one.retrieve("c1")) == expected
    assert [t for kind_, t in expected if kind_ == "user"] == [f"message {n}" for n in range(5)]
    assert (await one.retrieve("c1")).get_slot("plan") == "plan-4"


async def test_a_new_session_is_read_back_as_rasa_reads_it(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=url)
    tracker = await store.create_tracker("c2")
    await store.save(tracker)
    await a_turn(store, "c2", 0)
    tracker = await store.retrieve("c2")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    await a_turn(store, "c2", 1)
    assert summary(await store.retrieve("c2")) == summary(await as_rasa_reads_it(url, "c2"))


async def test_an_unknown_conversation_is_none_and_then_saved_whole(tmp_path):
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}")
    assert await store.retrieve("nobody") is None
    tracker = await store.create_tracker("nobody")
    for event in turn(0):
        tracker.update(event)
    await store.save(tracker)
    assert [e.type_name for e in (await store.retrieve("nobody")).events][-4:] == ["user", "slot", "bot", "action"]


async def test_a_turn_that_was_never_saved_leaves_nothing_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=url)
    await store.save(await store.create_tracker("c3"))
    await a_turn(store, "c3", 0)
    failed = await store.retrieve("c3")  # a turn that fails before it is saved
    for event in turn(1):
        failed.update(event)
    again = await store.retrieve("c3")
    assert summary(again) == summary(await as_rasa_reads_it(url, "c3"))
    assert again.get_slot("plan") == "plan-0"
