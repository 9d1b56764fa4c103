"""The member-services API, through FastAPI's test client on a real database."""

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.second_opinions import RequestDraft, open_request
from bot.store import session_scope
from bot.store.models import AuditEntry

TOKEN = "test-token-" + "x" * 20


@pytest.fixture()
def client(monkeypatch):
    monkeypatch.setenv("STAFF_API_TOKEN", TOKEN)
    monkeypatch.setenv("STAFF_API_TOKENS", "alice=alice-token-123456")
    from bot.web.app import create_app

    return TestClient(create_app())


AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEMBER = {
    "first_name": "Rosa",
    "last_name": "Test",
    "dob": "1970-05-06",
    "plan": "khs",
    "phone": "+15595550123",
    "language": "es",
}


def _open(conversation, member_id="API0001", plan="khs", network="in_network", urgency="routine", when=None):
    draft = RequestDraft(
        plan=plan,
        reason="not_improving",
        reason_text="my back is not getting better",
        initial_provider="Dr. Gomez",
        initial_specialty="orthopedics",
        initial_recommendation="more physical therapy",
        initial_date_text="in march",
        initial_date=None,
        requested_by="member",
        network=network,
        preferred_provider=None,
        urgency=urgency,
    )
    return open_request(draft, conversation, "rest", member_id=member_id, now=when)


ROUTES = [
    ("put", "/api/members/API0001"),
    ("get", "/api/requests"),
    ("get", "/api/requests/SO-AAAA-BBBB"),
    ("patch", "/api/requests/SO-AAAA-BBBB"),
]


@pytest.mark.parametrize("method,path", ROUTES)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic " + TOKEN}]
)
def test_every_route_refuses_without_a_valid_token(client, method, path, headers):
    r = getattr(client, method)(path, headers=headers, **({"json": MEMBER} if method != "get" else {}))
    assert r.status_code == 401
    assert r.json() == {"detail": "Unauthorized"}


def test_put_creates_then_updates_a_member(client):
    r = client.put("/api/members/api-0001", json=MEMBER, headers=AUTH)
    assert r.status_code == 201 and r.json()["member_id"] == "API0001"
    r = client.put("/api/members/API0001", json={**MEMBER, "plan": "hpsj"}, headers=AUTH)
    assert r.status_code == 200 and r.json()["plan"] == "hpsj" and r.json()["is_demo"] is False


@pytest.mark.parametrize(
    "change,field",
    [
        ({"dob": "1970-13-40"}, "dob"),
        ({"dob": "05/06/1970"}, "dob"),
        ({"dob": "2999-01-01"}, "dob"),
        ({"plan": "kaiser"}, "plan"),
        ({"phone": "555-1234"}, "phone"),
        ({"language": "fr"}, "language"),
        ({"first_name": "  "}, "first_name"),
        ({"last_name": None}, "last_name"),
    ],
)
def test_malformed_put_says_which_field_and_why(client, change, field):
    r = client.put("/api/members/API0002", json={**MEMBER, **change}, headers=AUTH)
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert any(e["loc"][-1] == field and e["msg"] for e in errors), errors


def test_requests_list_newest_first_with_filters_and_full_fields(client):
    t0 = datetime(2026, 11, 2, 17, 0, tzinfo=timezone.utc)
    old = _open("api-conv-1", member_id="API0009", when=t0)
    new = _open(
        "api-conv-2", member_id="API0009", plan="partnership", network="out_of_network", when=t0 + timedelta(hours=1)
    )
    r = client.get("/api/requests", params={"member_id": "API0009"}, headers=AUTH)
    assert r.status_code == 200
    refs = [x["reference"] for x in r.json()]
    assert refs == [new.reference, old.reference]
    item = r.json()[0]
    for key in (
        "reference",
        "member_id",
        "plan",
        "reason",
        "reason_text",
        "initial_opinion",
        "requested_by",
        "network",
        "preferred_provider",
        "urgency",
        "authorization_required",
        "status",
        "received_at",
        "decision_due_at",
        "channel",
        "conversation_id",
    ):
        assert key in item, key
    assert item["initial_opinion"]["provider"] == "Dr. Gomez"
    assert item["decision_due_at"].endswith("+00:00")  # ISO 8601 with offset
    # Partnership, routine, out of network: 5 business days from Mon Nov 2 2026 -> Mon Nov 9... with
    # Veterans Day (Wed Nov 11) not in between; the due date is Mon Nov 9, 10:00 Pacific.
    assert item["decision_due_at"] == "2026-11-09T18:00:00+00:00"
    r = client.get("/api/requests", params={"member_id": "API0009", "status": "denied"}, headers=AUTH)
    assert r.json() == []


def test_get_one_request_with_history_and_404(client):
    opened = _open("api-conv-3")
    r = client.get(f"/api/requests/{opened.reference.lower()}", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["history"][0]["to_status"] == "received"
    assert r.json()["history"][0]["changed_by"] == "assistant"
    assert client.get("/api/requests/SO-ZZZZ-ZZZZ", headers=AUTH).status_code == 404


def test_patch_moves_status_keeps_history_and_refuses_illegal_moves(client):
    opened = _open("api-conv-4")
    alice = {"Authorization": "Bearer alice-token-123456"}
    r = client.patch(
        f"/api/requests/{opened.reference}", json={"status": "in_review", "note": "looking"}, headers=alice
    )
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = client.patch(
        f"/api/requests/{opened.reference}",
        json={"status": "denied", "note": "not needed", "reasons": "A network provider is available."},
        headers=AUTH,
    )
    assert r.status_code == 200
    hist = r.json()["history"]
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in hist] == [
        (None, "received", "assistant"),
        ("received", "in_review", "api:alice"),
        ("in_review", "denied", "api:staff"),
    ]
    r = client.patch(f"/api/requests/{opened.reference}", json={"status": "approved"}, headers=AUTH)
    assert r.status_code == 409
    assert client.patch(f"/api/requests/{opened.reference}", json={"status": "lost"}, headers=AUTH).status_code == 422


def test_reads_and_changes_are_audited_without_member_details(client):
    opened = _open("api-conv-5", member_id="API0077")
    client.get(f"/api/requests/{opened.reference}", headers={"Authorization": "Bearer alice-token-123456"})
    client.put("/api/members/API0077", json=MEMBER, headers=AUTH)
    with session_scope() as s:
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        mine = [
            (a.actor, a.action, a.entity, a.entity_key) for a in rows if a.entity_key in (opened.reference, "API0077")
        ]
        assert ("api:alice", "read", "request", opened.reference) in mine
        assert ("api:staff", "create", "member", "API0077") in mine
        text = " ".join(f"{a.detail}" for a in rows)
        assert "Rosa" not in text and "1970" not in text


def test_openapi_schema_describes_the_routes_for_staff_only(client):
    # No /docs page: FastAPI's loads its scripts from a CDN. The schema needs the token.
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 401
    paths = client.get("/openapi.json", headers=AUTH).json()["paths"]
    assert {"/api/members/{member_id}", "/api/requests", "/api/requests/{reference}"} <= set(paths)
    assert "patch" in paths["/api/requests/{reference}"]
