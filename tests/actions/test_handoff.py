"""The assistant's side of a handoff, run as the action server runs it: when it hands
off, what the member is told, what the agent gets, and the callback when nobody can join."""

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select

from actions.callback import ActionSubmitCallback, ValidateCallbackForm
from actions.handoff import ActionAgentHandedBack, ActionHandOff, ActionHandoffUnclaimed, ActionNotUnderstood
from actions.request import FORM_SLOTS, ValidateSecondOpinionForm
from bot import handoff
from bot.messages import text
from bot.store import session_scope
from bot.store.models import CallbackTask
from tests.actions_helpers import run, slots_set, tracker

FORM = "second_opinion_form"


def queued(conversation_id):
    """The conversation's open handoff as the agent console's queue shows it, if any."""
    return next((v for v in handoff.queue() if v.conversation_id == conversation_id), None)


def events_of(events, kind):
    return [e for e in events if e.get("event") == kind]


def conversation(sender, turns, intent="human_handoff", slots=None, channel="web"):
    """A tracker whose history is `turns` [(who, text, requested_slot)], the last one the member's."""
    events = []
    for who, said, asking in turns:
        if asking:
            events.append({"event": "slot", "name": "requested_slot", "value": asking, "timestamp": 1.0})
        events.append(
            {
                "event": "user" if who == "member" else "bot",
                "text": said,
                "timestamp": 2.0,
                **({"input_channel": channel} if who == "member" else {}),
            }
        )
    latest = {"text": turns[-1][1], "intent": {"name": intent, "confidence": 0.95}, "entities": []}
    return Tracker(sender, slots or {}, latest, events, False, None, {}, "action_listen")


@pytest.fixture
def on_duty(monkeypatch):
    monkeypatch.setenv("MEMBER_SERVICES_HOURS", "always")


@pytest.fixture
def off_duty(monkeypatch):
    monkeypatch.setenv("MEMBER_SERVICES_HOURS", "never")


async def test_asking_for_a_person_queues_the_conversation_and_pauses_the_assistant(on_duty):
    t = conversation(
        "web-ask",
        [
            ("member", "i want a second opinion", None),
            ("bot", "What are your member ID and date of birth?", "member_id"),
            ("member", "DEMO1001", None),
            ("bot", "And your date of birth?", "dob"),
            ("member", "4/9/1961", None),
            ("bot", "You're verified", "reason_text"),
            ("member", "can i talk to a real person", None),
        ],
        slots={"verified": True, "member_id": "DEMO1001", "member_plan": "khs", "plan": "khs"},
    )
    said, events = await run(ActionHandOff(), t)
    assert "get you a person" in said and "An agent will join this chat soon" in said
    assert slots_set(events)["handoff_open"] is True and slots_set(events)["handoff_reason"] == "asked"
    view = queued("web-ask")
    assert (view.channel, view.plan, view.reason, view.status) == ("web", "khs", "asked", "waiting")
    assert view.summary["verified"] is True and view.summary["member_id"] == "DEMO1001"
    lines = [(m.sender, m.body) for m in handoff.transcript(view.id)]
    assert ("member", "DEMO1001") in lines
    assert ("member", "(date of birth, hidden)") in lines and not any("1961" in b for _, b in lines)
    assert lines[-1] == ("assistant", text("handoff_waiting"))


async def test_outside_hours_the_member_is_offered_a_callback_and_nothing_is_queued(off_duty):
    said, events = await run(ActionHandOff(), tracker("agent", "human_handoff", sender="web-night"))
    assert "No one from member services is available right now" in said and "call you back" in said
    assert "member ID card" in said  # no number in the seeds: never an invented one
    assert [e["name"] for e in events_of(events, "followup")] == ["callback_form"]
    assert not slots_set(events).get("handoff_open") and queued("web-night") is None


@pytest.mark.parametrize(
    "intent, reason, words",
    [
        ("ask_clinical", "clinical", "can't answer medical questions"),
        ("provider_conduct", "conduct", "sorry that happened"),
    ],
)
async def test_clinical_questions_and_conduct_complaints_go_to_a_person(on_duty, intent, reason, words):
    said, _ = await run(ActionHandOff(), tracker("is my tumor cancer", intent, sender=f"web-{reason}"))
    assert words in said and queued(f"web-{reason}").reason == reason


async def test_not_understood_twice_in_a_row_hands_off(on_duty):
    first = conversation("web-lost", [("member", "asdf qwer", None)], intent="nlu_fallback")
    said, events = await run(ActionNotUnderstood(), first)
    assert "didn't understand" in said and not events
    second = conversation(
        "web-lost",
        [("member", "asdf qwer", None), ("bot", text("not_understood"), None), ("member", "zxcv bnm", None)],
        intent="nlu_fallback",
    )
    said, events = await run(ActionNotUnderstood(), second)
    assert "trouble understanding" in said and slots_set(events)["handoff_open"] is True
    assert queued("web-lost").reason == "not_understood"
    understood_between = conversation(
        "web-fine",
        [
            ("member", "asdf", None),
            ("bot", text("not_understood"), None),
            ("member", "what does it cost", None),
            ("bot", "No cost.", None),
            ("member", "qwerty", None),
        ],
        intent="nlu_fallback",
    )
    said, events = await run(ActionNotUnderstood(), understood_between)
    assert not events and queued("web-fine") is None


async def test_asking_for_a_person_mid_form_ends_the_form_and_hands_off(on_duty):
    t = tracker(
        "i want to talk to a real person",
        "human_handoff",
        0.95,
        sender="web-midform",
        set_this_turn={"member_id": "i want to talk to a real person"},
        requested_slot="member_id",
        active_loop=FORM,
    )
    domain = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    said, events = await run(ValidateSecondOpinionForm(), t, domain)
    assert "An agent will join" in said
    assert slots_set(events)["requested_slot"] is None and slots_set(events)["handoff_open"] is True
    assert queued("web-midform").reason == "asked"


async def test_third_failed_verification_locks_and_hands_off(on_duty):
    t = tracker(
        "1/1/1950",
        "inform",
        sender="web-locked",
        slots={"member_id": "DEMO4004", "verify_failures": 2},
        set_this_turn={"dob": "1/1/1950"},
        requested_slot="dob",
        active_loop=FORM,
    )
    domain = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    said, events = await run(ValidateSecondOpinionForm(), t, domain)
    slots = slots_set(events)
    assert slots["verification_locked"] is True and slots["requested_slot"] is None
    assert "couldn't verify" in said and "check who you are another way" in said
    assert queued("web-locked").reason == "locked"


async def test_callback_number_and_time_become_a_task():
    validator = ValidateCallbackForm()
    domain = {"forms": {"callback_form": {"required_slots": ["callback_phone", "callback_time"]}}, "slots": {}}
    said, events = await run(
        validator,
        tracker(
            "call me at 555",
            "inform",
            set_this_turn={"callback_phone": "555"},
            requested_slot="callback_phone",
            active_loop="callback_form",
        ),
        domain,
    )
    assert "10-digit" in said and slots_set(events)["callback_phone"] is None
    _, events = await run(
        validator,
        tracker(
            "(209) 555-0134",
            "inform",
            set_this_turn={"callback_phone": "(209) 555-0134"},
            requested_slot="callback_phone",
            active_loop="callback_form",
        ),
        domain,
    )
    assert slots_set(events)["callback_phone"] == "+12095550134"
    said, events = await run(
        ActionSubmitCallback(),
        tracker(
            "mornings",
            "inform",
            sender="web-callback",
            slots={
                "callback_phone": "+12095550134",
                "callback_time": "weekday mornings",
                "handoff_reason": "asked",
                "plan": "hpsj",
            },
        ),
    )
    assert "ending in 0134" in said and "weekday mornings" in said
    with session_scope() as session:
        task = session.execute(select(CallbackTask).where(CallbackTask.conversation_id == "web-callback")).scalar_one()
    assert (task.phone, task.preferred_time, task.plan, task.status) == (
        "+12095550134",
        "weekday mornings",
        "hpsj",
        "open",
    )
    assert slots_set(events)["callback_phone"] is None


async def test_unclaimed_and_handed_back_resume_the_assistant(on_duty):
    said, events = await run(ActionHandoffUnclaimed(), tracker("", sender="web-unclaimed"))
    assert "no one from member services could join" in said and "What phone number" in said
    assert (
        events_of(events, "resume")
        and {"event": "active_loop", "name": "callback_form"}.items() <= events_of(events, "active_loop")[0].items()
    )
    hid = handoff.open_handoff("web-back", "web", "khs", "asked", {}, [])
    handoff.claim(hid, "maria", "Maria")
    handoff.set_agent_slots(
        hid,
        "maria",
        verified=True,
        member_id="DEMO1001",
        member_plan="khs",
        plan="khs",
        dob="verified",
        unknown_slot="ignored",
    )
    handoff.hand_back(hid, "maria")
    said, events = await run(ActionAgentHandedBack(), tracker("", sender="web-back"))
    assert "Maria has left the chat" in said and events_of(events, "resume")
    assert slots_set(events) == {
        "handoff_open": False,
        "handoff_reason": None,
        "verified": True,
        "member_id": "DEMO1001",
        "member_plan": "khs",
        "plan": "khs",
        "dob": "verified",
    }
