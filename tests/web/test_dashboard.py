"""The supervisors' dashboard over HTTP (the gateway in-process): seeded records and
tracker events whose figures this test works out by itself from the seed (never with
bot/reports.py), the numbers the page shows, the lists behind them, their CSV and
JSON, 403 for a plain agent, and the audit rows.

"Now" is pinned to Wednesday 11 March 2026, 10:00 AM Pacific (17:00 UTC), so "today"
and "this week" (from Monday 9 March, 12:00 AM Pacific) do not depend on the clock."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from bot import agents
from bot.store import migrate, session_scope
from bot.store.models import (
    AuditEntry,
    CallbackTask,
    Grievance,
    Handoff,
    Ride,
    SecondOpinionRequest,
)

NOW = datetime(2026, 3, 11, 17, 0, tzinfo=timezone.utc)
WEEK_START = datetime(2026, 3, 9, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
END_OF_TODAY = datetime(2026, 3, 12, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(timezone.utc)
H, D = timedelta(hours=1), timedelta(days=1)
PASSWORD = "dashboard test password"
SUPERVISOR, AGENT = "sofia.d", "maria.d"
OPEN_REQUEST = {"received", "in_review"}

# reference, plan, status, received, decision due, language
REQUESTS = [
    ("SO-DASH-0001", "khs", "received", NOW - 3 * D, NOW - H, "en"),  # overdue
    ("SO-DASH-0002", "khs", "in_review", NOW - D, NOW + 5 * H, "en"),  # due later today
    ("SO-DASH-0003", "khs", "approved", NOW - 2 * H, NOW - H, "en"),  # decided: neither
    ("SO-DASH-0004", "hpsj", "received", NOW - 10 * D, NOW + D, "en"),  # due tomorrow
    ("SO-DASH-0005", "hpsj", "received", NOW - H, None, "es"),  # no deadline set
    ("SO-DASH-0006", "partnership", "in_review", NOW - 20 * D, NOW - 5 * D, "es"),  # overdue
    ("SO-DASH-0007", "health_net", "received", NOW - H / 2, END_OF_TODAY - timedelta(minutes=1), "en"),  # today
    ("SO-DASH-0008", "health_net", "received", NOW - H, END_OF_TODAY, "en"),  # midnight: tomorrow
    ("SO-DASH-0009", "mvhp", "denied", NOW - 9 * D, NOW - 2 * D, "en"),  # decided
]
# reference, plan, status, inside the lead time
RIDES = [
    ("RD-DASH-0001", "khs", "requested", True),
    ("RD-DASH-0002", "khs", "cancelled", True),
    ("RD-DASH-0003", "hpsj", "requested", False),
    ("RD-DASH-0004", "hpsj", "scheduled", True),
]
# reference, plan, status, acknowledge by, resolve by
GRIEVANCES = [
    ("GR-DASH-0001", "khs", "received", NOW - H, NOW + 20 * D),  # past acknowledgement
    ("GR-DASH-0002", "khs", "acknowledged", NOW - 2 * D, NOW - H),  # past resolution
    ("GR-DASH-0003", "mvhp", "received", NOW - 40 * D, NOW - 10 * D),  # both
    ("GR-DASH-0004", "hpsj", "resolved", NOW - 40 * D, NOW - 10 * D),  # closed: neither
    ("GR-DASH-0005", "partnership", "received", NOW + D, NOW + 29 * D),  # neither yet
]
# conversation, plan, reason, status, queued, minutes until claimed (or closed unclaimed)
HANDOFFS = [
    ("web-h1", "khs", "asked", "waiting", NOW - 10 * timedelta(minutes=1), None),
    ("web-h2", "hpsj", "not_understood", "held", NOW - D, 4),
    ("conv-handed", "khs", "clinical", "returned", NOW - 48 * H + timedelta(seconds=5), 2),
    ("web-h4", None, "asked", "unclaimed", NOW - D, 5),
    ("web-h5", "khs", "asked", "returned", NOW - 5 * D, 30),  # last week
    ("web-h6", "mvhp", "locked", "waiting", NOW - timedelta(minutes=1), None),
]
# status, asked
CALLBACKS = [("open", NOW - 30 * H), ("done", NOW - 3 * H), ("open", NOW - 2 * H)]
# The tracker: each conversation's events as (hours before NOW, kind, requested_slot or language).
TRACKER = {
    "conv-contained": [(50, "user", None), (49.9, "requested_slot", "member_id"), (49, "user", None)]
    + [(49, "requested_slot", None)],
    "conv-abandoned": [(30, "user", None), (30, "language", "es"), (30, "requested_slot", "initial_provider")],
    "conv-handed": [(48, "user", None), (48, "requested_slot", None)],
    "conv-recent": [(2, "user", None), (2, "requested_slot", "dob")],  # not over yet
    "conv-back": [(70, "user", None), (70, "requested_slot", "dob"), (50, "user", None)]
    + [(50, "requested_slot", None)],  # back within 24 hours: one conversation
    "conv-split": [(81, "user", None), (81, "requested_slot", "pickup_address")]
    + [(40, "user", None), (40, "requested_slot", None)],  # 41 hours apart: two
}
# What each conversation that ended this week is, worked out from the events above:
# (conversation, outcome, handoff reason, question left unanswered, language)
ENDED_THIS_WEEK = [
    ("conv-contained", "contained", "", "", "en"),
    ("conv-abandoned", "abandoned", "", "initial_provider", "es"),
    ("conv-handed", "handed_off", "clinical", "", "en"),
    ("conv-back", "contained", "", "", "en"),
    ("conv-split", "abandoned", "", "pickup_address", "en"),  # ended Monday 9 March, 1:00 AM Pacific
    ("conv-split", "contained", "", "", "en"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    work = tmp_path_factory.mktemp("dashboard")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite:///{work / 'records.db'}")
        mp.setenv("TRACKER_STORE_URL", f"sqlite:///{work / 'tracker.db'}")
        mp.setattr("bot.reports.utcnow", lambda: NOW)
        migrate()
        for username, role in ((SUPERVISOR, "supervisor"), (AGENT, "agent")):
            agents.create_agent(username, username.title(), PASSWORD, role=role)
        _seed_records()
        _seed_tracker(f"sqlite:///{work / 'tracker.db'}")
        yield work


def _seed_records():
    with session_scope() as s:
        for ref, plan, status, received, due, lang in REQUESTS:
            s.add(
                SecondOpinionRequest(
                    reference=ref, conversation_id=f"c-{ref}", submission_key=ref, channel="web",
                    member_id="DEMO" + ref[-4:], plan=plan, reason="surgery", reason_text="x",
                    initial_provider="Dr. A", initial_recommendation="surgery", requested_by="member",
                    network="in_network", urgency="routine", authorization_required=True, status=status,
                    received_at=received, decision_due_at=due, language=lang,
                )
            )  # fmt: skip
        for ref, plan, status, inside in RIDES:
            s.add(
                Ride(
                    reference=ref, conversation_id="c", member_id="DEMO" + ref[-4:], plan=plan,
                    pickup_address="1 Main St", mobility="walks", mode="nmt", pcs_required=False,
                    inside_lead_time=inside, status=status, created_at=NOW - H, updated_at=NOW - H,
                    appointment_at=NOW + D,
                )
            )  # fmt: skip
        for ref, plan, status, ack, resolve in GRIEVANCES:
            s.add(
                Grievance(
                    reference=ref, conversation_id="c", member_id="DEMO" + ref[-4:], plan=plan, about="other",
                    account_text="words", expedited=False, status=status, received_at=ack - 5 * D,
                    acknowledge_due_at=ack, resolve_due_at=resolve,
                )
            )  # fmt: skip
        for conversation, plan, reason, status, queued, minutes in HANDOFFS:
            claimed = queued + timedelta(minutes=minutes) if minutes is not None else None
            s.add(
                Handoff(
                    conversation_id=conversation, channel="web", plan=plan, reason=reason, status=status,
                    created_at=queued, claimed_at=claimed if status != "unclaimed" else None,
                    closed_at=claimed if status in ("returned", "unclaimed") else None,
                )
            )  # fmt: skip
        for status, asked in CALLBACKS:
            s.add(
                CallbackTask(
                    conversation_id="c", channel="web", plan="khs", reason="asked", phone="+12095550100",
                    preferred_time="mornings", status=status, created_at=asked,
                )
            )  # fmt: skip


def _seed_tracker(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        for sender, events in TRACKER.items():
            for hours, kind, value in events:
                if kind == "user":
                    type_name, data = "user", {"event": "user", "text": "what the member wrote"}
                else:
                    type_name, data = "slot", {"event": "slot", "name": kind, "value": value}
                conn.execute(
                    text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                    {"s": sender, "t": type_name, "ts": (NOW - hours * H).timestamp(), "d": json.dumps(data)},
                )
    engine.dispose()


@pytest.fixture(scope="module")
def client(seeded):
    from bot.web.app import create_app

    async def ask(sender, message, channel):
        return []

    with TestClient(create_app(SimpleNamespace(ask=ask, run_action=ask)), base_url="http://127.0.0.1") as c:
        yield c


def sign_in(client, username):
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    r = client.post("/console/login", data={"csrf": token, "username": username, "password": PASSWORD})
    assert r.status_code == 200


def numbers(page):
    """{(list, filters): number} for every number on the page that links to a list."""
    found = {}
    for href, count in re.findall(r'<a href="(/console/dashboard/lists/[^"]+)">(\d+)</a>', page):
        parts = urlsplit(html.unescape(href))
        key = (parts.path.rsplit("/", 1)[1], frozenset(parse_qsl(parts.query)))
        assert found.setdefault(key, int(count)) == int(count), key  # the same figure shows one number
        found[key] = int(count)
    return found


def shown(page_numbers, list_name, **filters):
    return page_numbers[(list_name, frozenset(filters.items()))]


# -- what the seed says, worked out here -----------------------------------------------


def expected_decisions(plan, which):
    def state(status, due):
        if status not in OPEN_REQUEST or due is None:
            return ""
        return "overdue" if due < NOW else "due_today" if due < END_OF_TODAY else ""

    return sorted(ref for ref, p, status, _, due, _ in REQUESTS if p == plan and state(status, due) == which)


def expected_grievances(plan, which):
    if which == "past_acknowledgement":
        return sorted(r for r, p, status, ack, _ in GRIEVANCES if p == plan and status == "received" and ack < NOW)
    return sorted(
        r for r, p, status, _, res in GRIEVANCES if p == plan and status in ("received", "acknowledged") and res < NOW
    )


def week_waits():
    waits = []
    for *_, queued, minutes in HANDOFFS:
        if queued >= WEEK_START:
            waits.append(minutes if minutes is not None else (NOW - queued).total_seconds() / 60)
    return sorted(waits)


# -- the tests ---------------------------------------------------------------------------


def test_a_plain_agent_gets_403_everywhere_and_no_link(client):
    sign_in(client, AGENT)
    assert "/console/dashboard" not in client.get("/console").text
    paths = (
        "/console/dashboard",
        "/console/dashboard/figures.part",
        "/console/dashboard/lists/requests",
        "/console/dashboard/lists/requests/export.csv",
        "/console/dashboard/api/figures",
        "/console/dashboard/api/lists/requests",
    )
    for path in paths:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, path
        assert "SO-DASH" not in r.text
    with session_scope() as s:
        refused = s.execute(
            select(AuditEntry.detail).where(AuditEntry.actor == f"agent:{AGENT}", AuditEntry.action == "refused")
        ).scalars()
        assert set(paths) <= set(refused)


def test_signed_out_pages_go_to_sign_in_and_the_api_says_401(client):
    client.cookies.clear()
    r = client.get("/console/dashboard", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console/login")
    assert client.get("/console/dashboard/api/figures").status_code == 401


def test_the_numbers_shown_are_the_seeds(client):
    sign_in(client, SUPERVISOR)
    assert 'href="/console/dashboard"' in client.get("/console").text  # the nav link, for supervisors
    page = client.get("/console/dashboard").text
    got = numbers(page)
    for plan in ("khs", "hpsj", "mvhp", "partnership", "health_net"):
        for status in ("received", "in_review", "approved", "denied"):
            want = sum(1 for _, p, st, *_ in REQUESTS if p == plan and st == status)
            assert shown(got, "requests", plan=plan, status=status) == want, (plan, status)
        for which in ("due_today", "overdue"):
            assert shown(got, "requests", plan=plan, decision=which) == len(expected_decisions(plan, which))
        rides = sum(1 for _, p, st, inside in RIDES if p == plan and inside and st in ("requested", "scheduled"))
        assert shown(got, "rides", plan=plan) == rides
        for which in ("past_acknowledgement", "past_resolution"):
            assert shown(got, "grievances", plan=plan, **{which: "yes"}) == len(expected_grievances(plan, which))
    assert shown(got, "requests", plan="khs", decision="overdue") == 1  # the seed's own check
    assert shown(got, "requests", plan="health_net", decision="due_today") == 1

    waiting = sum(1 for *_, status, _, _ in HANDOFFS if status == "waiting")
    assert shown(got, "handoffs", waiting_now="yes") == waiting == 2
    assert shown(got, "handoffs", this_week="yes") == len(week_waits()) == 5
    waits = week_waits()  # [1, 2, 4, 5, 10]: nearest rank p50 is the 3rd, p90 the 5th
    assert f"{waits[2]:.1f} min" in page and f"{waits[4]:.1f} min" in page
    assert shown(got, "callbacks") == sum(1 for st, _ in CALLBACKS if st == "open") == 2
    assert "(oldest 30.0 hours)" in page and "no deadline" in page.lower()

    for outcome in ("contained", "handed_off", "abandoned"):
        want = sum(1 for _, o, *_ in ENDED_THIS_WEEK if o == outcome)
        assert shown(got, "conversations", outcome=outcome) == want, outcome
    assert shown(got, "conversations", outcome="handed_off", reason="clinical") == 1
    assert shown(got, "conversations", outcome="handed_off", reason="asked") == 0
    for question in ("initial_provider", "pickup_address"):
        assert shown(got, "conversations", outcome="abandoned", question=question) == 1
    for lang in ("en", "es"):
        want_requests = sum(1 for _, _, _, rec, _, lg in REQUESTS if rec >= WEEK_START and lg == lang)
        assert shown(got, "requests", this_week="yes", language=lang) == want_requests
        assert shown(got, "conversations", language=lang) == sum(1 for *_, lg in ENDED_THIS_WEEK if lg == lang)


def test_the_page_defines_each_figure_and_draws_accessible_charts(client):
    sign_in(client, SUPERVISOR)
    page = client.get("/console/dashboard").text
    assert page.count("Counts: ") == 7
    assert "California Code of Regulations, title 28, section 1300.68(d)(1)" in page
    assert "None of the plans' own policies sets a grievance deadline" in page
    charts = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(charts) == 5
    for svg in charts:
        assert 'role="img"' in svg and "<title id=" in svg
        after = page[page.index(svg) + len(svg) :].lstrip()
        assert after.startswith("<table"), "each chart is followed by its data table"
    assert 'data-live="/console/dashboard/figures.part"' in page
    part = client.get("/console/dashboard/figures.part").text
    assert numbers(part) == numbers(page)


def list_refs(client, href):
    page = client.get(href).text
    return sorted(re.findall(r"<td>((?:SO|RD|GR)-DASH-\d{4})</td>", page)), page


def test_each_number_links_to_exactly_the_rows_it_counts(client):
    sign_in(client, SUPERVISOR)
    refs, page = list_refs(client, "/console/dashboard/lists/requests?plan=khs&decision=overdue")
    assert refs == expected_decisions("khs", "overdue") == ["SO-DASH-0001"]
    assert "DEMO0001" in page and 'id="row-count">1<' in page
    refs, _ = list_refs(client, "/console/dashboard/lists/requests?plan=health_net&decision=due_today")
    assert refs == expected_decisions("health_net", "due_today") == ["SO-DASH-0007"]
    refs, _ = list_refs(client, "/console/dashboard/lists/rides?plan=hpsj")
    assert refs == ["RD-DASH-0004"]
    refs, _ = list_refs(client, "/console/dashboard/lists/grievances?plan=mvhp&past_resolution=yes")
    assert refs == expected_grievances("mvhp", "past_resolution") == ["GR-DASH-0003"]
    page = client.get("/console/dashboard/lists/handoffs?waiting_now=yes").text
    assert len(re.findall(r'<a href="/console/handoffs/\d+">', page)) == 2
    page = client.get("/console/dashboard/lists/conversations?outcome=abandoned").text
    assert "conv-abandoned" in page and "conv-split" in page and "conv-recent" not in page
    assert "initial provider" in page and "pickup address" in page
    page = client.get("/console/dashboard/lists/callbacks").text
    assert "+12095550100" not in page and "mornings" not in page  # no phone, no member's words


def test_every_list_exports_the_same_rows_as_csv_without_a_date_of_birth(client):
    sign_in(client, SUPERVISOR)
    r = client.get("/console/dashboard/lists/requests/export.csv?plan=khs&status=received")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:2] == ["Reference", "Member ID"] and not any("birth" in h.lower() for h in rows[0])
    assert [row[:2] for row in rows[1:]] == [["SO-DASH-0001", "DEMO0001"]]
    for name in ("requests", "rides", "grievances", "handoffs", "callbacks", "conversations"):
        r = client.get(f"/console/dashboard/lists/{name}/export.csv")
        assert r.status_code == 200, name
        header = next(csv.reader(io.StringIO(r.text)))
        assert not any("birth" in h.lower() or h.lower() == "dob" for h in header), name
        assert client.get(f"/console/dashboard/lists/{name}").text.count("download>Export these") == 1


def test_the_json_answers_come_from_the_same_figures(client):
    sign_in(client, SUPERVISOR)
    page_numbers = numbers(client.get("/console/dashboard").text)
    body = client.get("/console/dashboard/api/figures").json()
    khs_overdue = body["decisions_due"]["khs"][1]
    assert khs_overdue["count"] == shown(page_numbers, "requests", plan="khs", decision="overdue")
    assert khs_overdue["list"] == "/console/dashboard/lists/requests?plan=khs&decision=overdue"
    assert body["handoff_queue"]["wait_p90_minutes"] == week_waits()[4]
    assert set(body["definitions"]) >= {"decisions_due", "handoff_queue", "conversation_outcomes"}
    listed = client.get("/console/dashboard/api/lists/requests?plan=khs&decision=overdue").json()
    assert [r["reference"] for r in listed["rows"]] == ["SO-DASH-0001"]


def test_views_lists_and_exports_are_audited(client):
    sign_in(client, SUPERVISOR)
    with session_scope() as s:
        before = s.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    client.get("/console/dashboard")
    client.get("/console/dashboard/lists/grievances?plan=khs&past_acknowledgement=yes")
    client.get("/console/dashboard/lists/grievances/export.csv?plan=khs&past_acknowledgement=yes")
    client.get("/console/dashboard/api/figures")
    with session_scope() as s:
        rows = s.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_key, AuditEntry.detail)
            .where(AuditEntry.id > before, AuditEntry.actor == f"agent:{SUPERVISOR}")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("read", "dashboard", None, None),
        ("list", "report", "grievances", "plan=khs&past_acknowledgement=yes (1 rows)"),
        ("export", "report", "grievances", "plan=khs&past_acknowledgement=yes (1 rows)"),
        ("read", "dashboard", None, "json"),
    ]


def test_roles_are_granted_by_the_account_command(seeded, capsys):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite:///{seeded / 'records.db'}")
        with contextlib.suppress(ValueError):
            agents.create_agent("lee.d", "Lee", PASSWORD)
        assert agents.main(["set-role", "lee.d", "supervisor"]) == 0
        assert agents.authenticate("lee.d", PASSWORD)[0].is_supervisor
        assert agents.main(["set-role", "lee.d", "agent"]) == 0
        assert not agents.authenticate("lee.d", PASSWORD)[0].is_supervisor
        assert agents.main(["set-role", "nobody.d", "supervisor"]) == 1
        with pytest.raises(SystemExit):
            agents.main(["set-role", "lee.d", "admin"])
        assert [u for u, _, role in agents.DEMO_AGENTS if role == "supervisor"] == ["demo.sofia"]
