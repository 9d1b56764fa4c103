"""Rides and grievances: kinds of ride, lead time, cancelling; grievance due dates;
denial notices for each plan; and their API."""

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from bot import grievances, transport
from bot.deadlines import PACIFIC, to_pacific
from bot.second_opinions import RequestDraft, open_request
from bot.store import session_scope
from bot.workflow import IllegalTransition

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PACIFIC)  # Monday before Thanksgiving
TOKEN = "records-token-" + "y" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _request(conv, plan="khs"):
    draft = RequestDraft(
        plan=plan,
        reason="surgery_necessity",
        reason_text="not sure about surgery",
        initial_provider="Dr. Ito",
        initial_specialty="surgery",
        initial_recommendation="surgery",
        initial_date_text=None,
        initial_date=None,
        requested_by="member",
        network="in_network",
        preferred_provider=None,
        urgency="routine",
    )
    return open_request(draft, conv, "rest", member_id="DEMO1001", now=NOW)


def _ride(mobility, appointment_at, conv="ride-conv", request_reference=None):
    draft = transport.RideDraft(
        plan="khs",
        pickup_address="123 Main St, Bakersfield",
        companion=True,
        mobility=mobility,
        appointment_at=appointment_at,
        appointment_text=None,
    )
    return transport.request_ride(draft, conv, "DEMO1001", request_reference, now=NOW)


def test_wheelchair_user_gets_a_medical_ride_and_is_told_a_form_is_needed():
    opened = _request("ride-wc")
    ride = _ride("wheelchair", NOW + timedelta(days=14), "ride-wc", opened.reference)
    assert ride.reference.startswith("RD-") and ride.mode == "nemt" and ride.pcs_required
    assert ride.request_id is not None and ride.inside_lead_time is False


def test_walking_member_gets_a_non_medical_ride():
    ride = _ride("walks", NOW + timedelta(days=14))
    assert ride.mode == "nmt" and not ride.pcs_required


def test_ride_inside_the_lead_time_is_recorded_and_flagged():
    # 2 business days from Mon 9:00 is Wed 9:00; a Tuesday visit is inside the lead time.
    ride = _ride("walks", NOW + timedelta(days=1))
    assert ride.inside_lead_time is True and ride.status == "requested"
    assert _ride("walks", None).inside_lead_time is False  # no appointment yet: not flagged


def test_member_cancels_their_ride_and_cannot_cancel_twice():
    ride = _ride("cane_walker", NOW + timedelta(days=10))
    with session_scope() as s:
        assert (
            transport.change_ride_status(s, ride.reference, "cancelled", "member", member_id="DEMO1001").status
            == "cancelled"
        )
    with session_scope() as s, pytest.raises(IllegalTransition):
        transport.change_ride_status(s, ride.reference, "cancelled", "member", member_id="DEMO1001")
    with session_scope() as s, pytest.raises(LookupError):  # another member's ride is not found
        transport.change_ride_status(s, ride.reference, "scheduled", "member", member_id="DEMO2002")


def test_standard_grievance_due_dates():
    g = grievances.file_grievance(
        "partnership", "pcp_refused", "my pcp refused to refer me", False, "gr-std", "DEMO4004", now=NOW
    )
    assert g.reference.startswith("GR-")
    assert to_pacific(g.acknowledge_due_at) == datetime(2026, 11, 28, 9, 0, tzinfo=PACIFIC)  # 5 calendar days
    assert to_pacific(g.resolve_due_at) == datetime(2026, 12, 23, 9, 0, tzinfo=PACIFIC)  # 30 calendar days


def test_expedited_grievance_is_resolved_within_72_hours():
    g = grievances.file_grievance(
        "khs", "denied_request", "denied and i am getting worse", True, "gr-exp", "DEMO1001", now=NOW
    )
    assert g.resolve_due_at.astimezone(timezone.utc) - NOW.astimezone(timezone.utc) == timedelta(hours=72)


@pytest.mark.parametrize(
    "plan,must,must_not",
    [
        ("partnership", ["MPUP3078", "appeal", "Grievance Coordinator"], []),
        ("hpsj", ["UM16", "grievance"], ["Grievance Coordinator"]),
        ("mvhp", ["UM16"], []),
        ("khs", ["does not say what to do if a request is turned down"], ["Grievance Coordinator"]),
        ("health_net", ["Member Services Department"], ["Grievance Coordinator"]),
    ],
)
def test_denial_notice_for_each_plan_names_the_right_rights(plan, must, must_not):
    notice = grievances.denial_notice(plan, "SO-TEST-2345", "A network provider can see you.")
    assert "A network provider can see you." in notice
    for general in (
        "at any time",
        "60 days",
        "State Hearing",
        "Independent Medical Review",
        "72 hours",
        "1-888-466-2219",
        "1-877-688-9891",
        "www.dmhc.ca.gov",
        "The California Department of Managed Health Care is responsible",
    ):
        assert general in notice, general
    for text in must:
        assert text in notice, text
    for text in must_not:
        assert text not in notice, text


@pytest.fixture()
def client(monkeypatch):
    monkeypatch.setenv("STAFF_API_TOKEN", TOKEN)
    from bot.web.app import create_app

    return TestClient(create_app())


def test_denying_through_the_api_needs_reasons_and_makes_the_notice(client):
    opened = _request("deny-api", plan="hpsj")
    r = client.patch(f"/api/requests/{opened.reference}", json={"status": "denied"}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reasons"]
    r = client.patch(
        f"/api/requests/{opened.reference}",
        json={"status": "denied", "reasons": "No out-of-network need shown."},
        headers=AUTH,
    )
    assert r.status_code == 200
    assert "No out-of-network need shown." in r.json()["denial_notice"]
    assert "Health Plan of San Joaquin policy UM16" in r.json()["denial_notice"]


@pytest.mark.parametrize(
    "path", ["/api/rides", "/api/rides/RD-AAAA-BBBB", "/api/grievances", "/api/grievances/GR-AAAA-BBBB"]
)
def test_records_api_refuses_without_token(client, path):
    assert client.get(path).status_code == 401
    if path.count("/") == 3:  # items can be patched
        assert client.patch(path, json={"status": "scheduled"}).status_code == 401


def test_rides_and_grievances_api(client):
    opened = _request("api-ride")
    soon = _ride("wheelchair", NOW + timedelta(days=1), "api-ride", opened.reference)
    r = client.get("/api/rides", params={"request": opened.reference}, headers=AUTH)
    assert [x["reference"] for x in r.json()] == [soon.reference]
    assert r.json()[0]["mode"] == "nemt" and r.json()[0]["pcs_required"] is True
    assert soon.reference in [
        x["reference"] for x in client.get("/api/rides", params={"overdue": "true"}, headers=AUTH).json()
    ]
    r = client.patch(f"/api/rides/{soon.reference}", json={"status": "scheduled", "note": "van booked"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "scheduled"
    assert client.patch(f"/api/rides/{soon.reference}", json={"status": "requested"}, headers=AUTH).status_code == 409
    assert client.patch(f"/api/rides/{soon.reference}", json={"status": "lost"}, headers=AUTH).status_code == 422
    g = grievances.file_grievance(
        "khs",
        "handling",
        "nobody called me back",
        False,
        "api-gr",
        "DEMO1001",
        now=datetime(2026, 1, 5, 9, 0, tzinfo=PACIFIC),
    )
    overdue = client.get("/api/grievances", params={"overdue": "true"}, headers=AUTH).json()
    assert g.reference in [x["reference"] for x in overdue]
    r = client.patch(f"/api/grievances/{g.reference}", json={"status": "resolved", "note": "called"}, headers=AUTH)
    assert r.status_code == 200
    assert (
        client.patch(f"/api/grievances/{g.reference}", json={"status": "acknowledged"}, headers=AUTH).status_code == 409
    )
    assert client.get(f"/api/grievances/{g.reference}", headers=AUTH).json()["status"] == "resolved"


def test_appointment_is_stored_in_utc_and_read_back_in_pacific(database):
    visit = datetime(2026, 12, 3, 10, 0, tzinfo=PACIFIC)
    ride = _ride("walks", visit, "ride-tz")
    with session_scope() as s:
        from bot.store.models import Ride
        from bot.store.repository import as_utc

        stored = as_utc(s.get(Ride, ride.id).appointment_at)
    assert stored == datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc)
    assert to_pacific(stored).hour == 10
