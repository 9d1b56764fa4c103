"""No verification secret at rest: the member's date-of-birth answer never reaches
Rasa's tracker store (or what it already holds, after `redact-trackers`), and the
files that hold member data are private to this user."""

import json
import os
import stat

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.members import gives_identity
from bot.store import migrate
from bot.store.redaction import DOB_HIDDEN, carries_dob, redact_tracker_store
from bot.store.tracker_store import RedactingSQLTrackerStore
from tests.databases import database_url_for

DOMAIN = Domain.from_dict(
    {
        "slots": {
            "dob": {"type": "text", "mappings": [{"type": "custom"}]},
            "member_id": {"type": "text", "mappings": [{"type": "custom"}]},
        }
    }
)


def verification_conversation(sender):
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in [
        ActionExecuted("action_listen"),
        UserUttered("i want a second opinion", {"name": "request"}),
        SlotSet("requested_slot", "member_id"),
        BotUttered("What are your member ID and date of birth?"),
        ActionExecuted("action_listen"),
        UserUttered("DEMO1001", {"name": "inform"}),
        SlotSet("member_id", "DEMO1001"),
        SlotSet("requested_slot", "dob"),
        BotUttered("What is your date of birth?"),
        ActionExecuted("action_listen"),
        UserUttered("april 9 1961", {"name": "inform"}),
        SlotSet("dob", "april 9 1961"),
        SlotSet("dob", "verified"),
        SlotSet("requested_slot", "reason_text"),
        ActionExecuted("action_listen"),
        UserUttered("it's DEMO4004 and 1/30/1950", {"name": "inform"}),
    ]:
        tracker.update(event)
    return tracker


def stored_text(url):
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM events ORDER BY id")).scalars().all()
    engine.dispose()
    return rows


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_the_tracker_store_never_writes_a_date_of_birth(kind, tmp_path):
    url = database_url_for(kind, tmp_path, "trackers")
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=url)
    tracker = verification_conversation("dob-at-rest")
    await store.save(tracker)
    rows = stored_text(url)
    assert not [r for r in rows if "1961" in r or "april 9" in r.lower() or "1950" in r]
    users = [json.loads(r) for r in rows if json.loads(r)["event"] == "user"]
    # the last one answered the reason question, but an ID with a date of birth is a secret whenever typed
    assert [u["text"] for u in users] == ["i want a second opinion", "DEMO1001", DOB_HIDDEN, DOB_HIDDEN]
    again = await store.retrieve("dob-at-rest")
    assert again.get_slot("dob") == "verified" and again.get_slot("member_id") == "DEMO1001"


async def test_what_a_store_already_holds_is_redacted_by_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    await SQLTrackerStore(domain=DOMAIN, host=url).save(verification_conversation("old-conversation"))
    assert any("april 9 1961" in r for r in stored_text(url))
    assert redact_tracker_store(url) == 3  # the two messages and the slot
    assert not any("april 9 1961" in r for r in stored_text(url))
    assert redact_tracker_store(url) == 0


@pytest.mark.parametrize(
    "message,carries",
    [
        ("4/9/61", True),
        ("DEMO1001 4/9/1961", True),
        ("my id is KHS778899, born April 9 1961", True),
        ("9 de abril de 1961", True),
        ("DEMO1001", False),
        ("about 2 weeks ago", False),
    ],
)
def test_a_date_of_birth_is_recognised_inside_a_message(message, carries):
    assert carries_dob(message) is carries


@pytest.mark.parametrize(
    "message,gives",
    [
        ("DEMO1001 4/9/61", True),
        ("its KHS 778899 born 9 de abril de 1961", True),
        ("DEMO1001", False),
        ("4/9/61", False),
        ("2", False),
        ("my visit was 3/4/2026, plan 3", False),
    ],
)
def test_an_id_with_a_date_of_birth_is_identity_whatever_was_asked(message, gives):
    assert gives_identity(message) is gives


def test_files_that_hold_member_data_are_private(tmp_path):
    path = tmp_path / "var" / "records.db"
    migrate(f"sqlite:///{path}")
    for file in path.parent.iterdir():
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, file
    RedactingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'var' / 'tracker.db'}")
    assert stat.S_IMODE(os.stat(tmp_path / "var" / "tracker.db").st_mode) == 0o600
