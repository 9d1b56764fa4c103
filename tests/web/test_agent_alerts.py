"""Agents are alerted when a member starts waiting for a person, and a conversation opens
with a summary of what the assistant collected. The gateway runs in-process with a
stand-in assistant that hands off the way the real one does (it opens the handoff and
says so in a custom payload); the alert reaches every signed-in console through the
live channel, across workers through Redis. tests/web/test_alerts_browser.py checks
what the page does with it."""

import contextlib
import json
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot import agents, handoff
from bot.conversation_ids import web_id
from bot.handoff import HANDOFF_OPENED
from bot.web import live
from tests.web.test_console import PASSWORD, csrf_of, sign_in
from tests.web.test_shared_state import prefix, shared_redis  # noqa: F401 - fixtures

MEMBER_ID, DOB = "DEMO2002", "1975-12-02"
WORDS = "my doctor wants to operate on my knee for a torn meniscus"  # a diagnosis, in the member's words
SUMMARY = {
    "verified": True,  # the slots say so; only the database can make it true
    "member_id": MEMBER_ID,
    "member_plan": "khs",
    "plan": "khs",
    "dob": DOB,
    "first_name": "Ana",
    "reason": "surgery_necessity",
    "reason_text": WORDS,
    "initial_provider": "Dr. Lopez",
    "initial_specialty": "orthopedics",
    "initial_recommendation": "knee surgery",
    "initial_date": "two weeks ago",
    "requested_by": "member",
    "network": "out_of_network",
    "preferred_provider": "Dr. Kim at Valley Ortho",
    "urgency": "urgent",
    "language": "en",
}


@pytest.fixture(scope="module", autouse=True)
def accounts():
    for username, name in (("maria.c", "Maria C"), ("james.c", "James C")):
        with contextlib.suppress(ValueError):
            agents.create_agent(username, name, PASSWORD)


def make_app(summary=SUMMARY, reason="asked"):
    """A gateway whose assistant hands every conversation off on its first message."""

    async def ask(sender, message, channel):
        hid = handoff.open_handoff(sender, channel, summary.get("plan"), reason, summary, [("member", message, None)])
        return [{"text": "I'll connect you with a person."}, {"custom": {HANDOFF_OPENED: hid}}]

    async def run_action(sender, action):
        return []

    from bot.web.app import create_app

    return create_app(assistant=SimpleNamespace(ask=ask, run_action=run_action))


def console_cookie(client, username):
    sign_in(client, username)
    return {"cookie": f"so_console={client.cookies['so_console']}"}


def hand_off(client, token, words=WORDS):
    """A member on the web chat whose message the assistant answers by handing off."""
    with client.websocket_connect("/ws/chat") as member:
        member.send_json({"type": "hello", "session": token})
        assert member.receive_json()["type"] == "welcome"
        member.send_json({"type": "message", "id": "m1", "text": words})
        while member.receive_json()["type"] == "typing":
            pass
    return _open_for(web_id(token))


def _open_for(conversation_id):
    return next(v for v in handoff.queue() if v.conversation_id == conversation_id)


def assert_nothing_identifies(payload):
    said = json.dumps(payload)
    for secret in (MEMBER_ID, DOB, "12/2/1975", "Ana", "meniscus", "knee", "Lopez", "Kim"):
        assert secret.lower() not in said.lower(), secret


def test_every_signed_in_console_is_alerted_when_a_member_starts_waiting():
    with TestClient(make_app(), base_url="http://127.0.0.1") as client:
        maria, james = console_cookie(client, "maria.c"), console_cookie(client, "james.c")
        with (
            client.websocket_connect("/console/live", headers=maria) as first,
            client.websocket_connect("/console/live", headers=james) as second,
        ):
            view = hand_off(client, "alert-session-token-0001")
            for console in (first, second):
                got = console.receive_json()
                assert got == {
                    "type": "queue",
                    "handoff": view.id,
                    "alert": {
                        "key": str(view.id),
                        "handoff": view.id,
                        "crisis": False,
                        "text": "A member is waiting: Kern Health Systems, asked for a person",
                    },
                }
                assert_nothing_identifies(got)


def test_an_agent_on_another_worker_is_alerted_through_redis(shared_redis):  # noqa: F811 - the fixture
    with (
        TestClient(make_app(), base_url="http://127.0.0.1") as worker_a,
        TestClient(make_app(), base_url="http://127.0.0.1") as worker_b,
    ):
        agent = console_cookie(worker_b, "james.c")
        with worker_b.websocket_connect("/console/live", headers=agent) as console:
            view = hand_off(worker_a, "alert-session-token-0002")  # the member is on worker A
            got = console.receive_json()
            assert got["alert"]["handoff"] == view.id and got["alert"]["text"].startswith("A member is waiting")
            assert_nothing_identifies(got)


def test_no_alert_once_claimed_and_a_new_one_when_a_waiting_member_speaks_of_a_crisis():
    waiting = handoff.open_handoff("web-alert-crisis", "web", "hpsj", "clinical", SUMMARY, [])
    handoff.flag_crisis("web-alert-crisis", "suicide", ["Call 988"])
    alert = live.waiting_alert(handoff.get(waiting))
    assert alert["key"] == f"{waiting}:crisis" and alert["crisis"] is True
    assert alert["text"] == "A waiting member spoke of a crisis: Health Plan of San Joaquin, clinical question"
    assert "suicide" not in alert["text"].lower()  # the category stays in the console, off notifications
    unknown_plan = handoff.open_handoff("sms-alert-noplan", "sms", None, "locked", {}, [])
    assert live.waiting_alert(handoff.get(unknown_plan))["text"] == (
        "A member is waiting: plan not known yet, verification locked"
    )
    with TestClient(make_app(), base_url="http://127.0.0.1") as client:
        maria = console_cookie(client, "maria.c")
        page = client.get("/console").text
        with client.websocket_connect("/console/live", headers=maria) as console:
            client.post(f"/console/handoffs/{waiting}/claim", data={"csrf": csrf_of(page)})
            assert console.receive_json() == {"type": "queue", "handoff": waiting}  # held: nobody to alert


def test_every_console_page_has_the_alert_area_and_its_button():
    with TestClient(make_app(), base_url="http://127.0.0.1") as client:
        hid = handoff.open_handoff("web-alert-area", "web", "khs", "asked", {}, [])
        sign_in(client)
        for path in ("/console", f"/console/handoffs/{hid}"):
            page = client.get(path).text
            assert 'id="alert-list" role="status" aria-live="polite"' in page, path
            assert re.search(r'<button type="button" id="alerts-toggle" hidden>Turn on alerts</button>', page), path
        assert "alert-list" not in client.get("/console/queue.part").text  # not in what refreshes


def summary_of(page):
    section = re.search(r'<dl id="summary">(.*?)</dl>', page, re.S).group(1)
    return {
        re.sub(r"\s+", " ", dt).strip(): re.sub(r"\s+", " ", dd).strip()
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", section, re.S)
    }


def test_the_conversation_opens_with_what_the_assistant_collected_and_never_the_date_of_birth():
    transcript = [("member", "hi, I want a second opinion", None), ("assistant", "Sure. Why?", None)]
    hid = handoff.open_handoff("web-alert-summary", "web", "khs", "asked", SUMMARY, transcript)
    with TestClient(make_app(), base_url="http://127.0.0.1") as client:
        sign_in(client)
        page = client.get(f"/console/handoffs/{hid}").text
        assert page.index('id="summary"') < page.index('id="transcript"')  # before the transcript
        assert summary_of(page) == {
            "Plan": "Kern Health Systems",
            "Verified": "No",  # slots alone never verify a member
            "Why a person": "Asked for a person",
            "Language": "English",
            "Situation": "1. You question whether a surgery or treatment you were told to get is reasonable or needed",
            "Reason, in the member&#39;s words": WORDS,
            "First opinion from": "Dr. Lopez",
            "Their specialty": "orthopedics",
            "What they recommended": "knee surgery",
            "When": "two weeks ago",
            "Asked for by": "The member",
            "Second-opinion provider": "Out of network",
            "Preferred provider": "Dr. Kim at Valley Ortho",
            "Urgency": "Urgent",
            "Request": "Not opened yet",
            "Rides": "None",
            "Grievances": "None",
        }
        for dob in (DOB, "12/2/1975", "1975"):
            assert dob not in page
        # Verified by the agent: the member ID as the console shows it elsewhere
        page = client.get("/console").text
        client.post(f"/console/handoffs/{hid}/claim", data={"csrf": csrf_of(page)})
        r = client.post(
            f"/console/handoffs/{hid}/verify", data={"csrf": csrf_of(page), "member_id": "DEMO4004", "dob": "1/30/1950"}
        )
        assert summary_of(r.text)["Verified"] == "Yes: member DEMO4004"
        assert summary_of(r.text)["Plan"] == "Partnership HealthPlan of California"
        assert "1/30/1950" not in r.text and "1950-01-30" not in r.text
        assert summary_of(client.get(f"/console/handoffs/{hid}/live.part").text)["Verified"] == "Yes: member DEMO4004"


def test_a_spanish_conversation_keeps_the_members_words_under_english_labels():
    spanish = {
        "plan": "hpsj",
        "language": "es",
        "reason_text": "mi doctor me quiere operar de la rodilla",
        "initial_provider": "el dr. López",
        "initial_date": "hace 2 semanas",
        "preferred_provider": "none",
        "urgency": "routine",
        "network": "in_network",
    }
    hid = handoff.open_handoff("web-alert-es", "web", "hpsj", "not_understood", spanish, [])
    with TestClient(make_app(), base_url="http://127.0.0.1") as client:
        sign_in(client)
        page = client.get(f"/console/handoffs/{hid}").text
        summary = summary_of(page)
        assert summary["Reason, in the member&#39;s words"] == "mi doctor me quiere operar de la rodilla"
        assert summary["First opinion from"] == "el dr. López" and summary["When"] == "hace 2 semanas"
        assert summary["Language"] == "Spanish (español)"
        assert summary["Why a person"] == "The assistant did not understand twice"
        assert (summary["Preferred provider"], summary["Urgency"]) == ("No preference", "Routine")
        assert summary["Second-opinion provider"] == "In the plan&#39;s network"
        assert summary["Their specialty"] == "Not given yet"
        assert '<dd lang="es">mi doctor me quiere operar de la rodilla</dd>' in page  # read in Spanish
        assert '<dd lang="es">Not given yet</dd>' not in page
