"""Storage on SQLite and on the local PostgreSQL: migrations, one request per
confirmation (also under concurrent retries), status history, tracker retention, and
any record found by its reference."""

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, select, text

from bot import members, records
from bot.grievances import file_grievance
from bot.second_opinions import IllegalTransition, RequestDraft, change_status, open_request
from bot.store import repository, session_scope
from bot.store.db import downgrade, migrate
from bot.store.models import Grievance, RequestStatusChange, Ride, SecondOpinionRequest
from bot.store.retention import purge_tracker_events
from bot.transport import RideDraft, cancel_members_ride, request_ride

TABLES = {
    "second_opinion_requests",
    "members",
    "request_status_history",
    "audit_log",
    "rides",
    "grievances",
    "record_status_history",
}
DRAFT = RequestDraft(
    plan="khs",
    reason="serious_condition",
    reason_text="they say it is cancer",
    initial_provider="Dr. Ruiz",
    initial_specialty="oncology",
    initial_recommendation="chemotherapy",
    initial_date_text="last week",
    initial_date=None,
    requested_by="member",
    network="in_network",
    preferred_provider=None,
    urgency="urgent",
)


def test_migrations_up_from_empty_and_down_again(database):
    engine = create_engine(database)
    assert set(inspect(engine).get_table_names()) >= TABLES
    downgrade(database)
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate(database)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_sqlite_file_in_a_folder_that_does_not_exist_yet(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"
    migrate(url)
    assert "members" in inspect(create_engine(url)).get_table_names()


def test_confirming_twice_opens_one_request(database):
    first = open_request(DRAFT, "conv-twice", "rest", member_id="DEMO1001")
    second = open_request(DRAFT, "conv-twice", "rest", member_id="DEMO1001")
    assert first.newly_opened and not second.newly_opened
    assert first.reference == second.reference
    assert first.decision_due_at - first.received_at == timedelta(hours=72)


def test_concurrent_retries_of_one_confirmation_open_one_request(database):
    results, errors = [], []

    def confirm():
        try:
            results.append(open_request(DRAFT, "conv-race", "rest", member_id="DEMO1001").reference)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
    with session_scope() as s:
        rows = (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == "conv-race"))
            .scalars()
            .all()
        )
        assert len(rows) == 1
        history = (
            s.execute(select(RequestStatusChange).where(RequestStatusChange.request_id == rows[0].id)).scalars().all()
        )
        assert [h.to_status for h in history] == ["received"]


def test_status_moves_are_kept_and_illegal_ones_refused(database):
    opened = open_request(DRAFT, "conv-status", "rest")
    with session_scope() as s:
        change_status(s, opened.reference, "approved", "api:alice", "ok")
        change_status(s, opened.reference, "scheduled", "api:alice")
    with session_scope() as s, pytest.raises(IllegalTransition):
        change_status(s, opened.reference, "received", "api:alice")


def test_a_request_keeps_the_language_the_member_spoke(database):
    opened = open_request(DRAFT, "conv-language", "sms", lang="es")
    with session_scope() as s:
        row = repository.by_reference(s, SecondOpinionRequest, opened.reference)
        assert row is not None and row.language == "es"


def test_members_and_verification(database):
    assert members.verify("demo1001", datetime(1961, 4, 9).date()).plan == "khs"
    assert members.verify("DEMO1001", datetime(1961, 4, 10).date()) is None
    assert members.verify("NOPE123", datetime(1961, 4, 9).date()) is None
    view, created = members.upsert("NEW0001", "A", "B", datetime(1990, 1, 2).date(), "mvhp", "+15595550100")
    assert created and not members.upsert("NEW0001", "A", "B", view.dob, "hpsj")[1]
    assert members.get("new0001").plan == "hpsj"


def test_purge_removes_only_old_tracker_events(database):
    engine = create_engine(database, future=True)
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                "type_name VARCHAR(255), timestamp FLOAT)"
            )
        )
        for i, age in enumerate([40, 31, 29, 1]):
            conn.execute(
                text("INSERT INTO events VALUES (:i, 'c', 'user', :t)"),
                {"i": i, "t": (now - timedelta(days=age)).timestamp()},
            )
    assert purge_tracker_events(database, 30, now) == 2
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 2
    engine.dispose()
    with pytest.raises(ValueError):
        purge_tracker_events(database, 0, now)


def test_any_record_by_its_reference_and_a_members_records(database):
    opened = open_request(DRAFT, "conv-records", "rest", member_id="DEMO1001")
    ride = request_ride(
        RideDraft(
            plan="khs",
            pickup_address="1 Main St, Bakersfield",
            companion=False,
            mobility="walks",
            appointment_at=None,
            appointment_text=None,
        ),
        "conv-records",
        "DEMO1001",
        opened.reference.lower(),
    )
    grievance = file_grievance("khs", "handling", "nobody called back", False, "conv-other", "DEMO1001")
    with session_scope() as session:
        assert repository.by_reference(session, SecondOpinionRequest, opened.reference.lower()).id
        assert repository.by_reference(session, Ride, ride.reference).request_id is not None
        assert repository.by_reference(session, Grievance, grievance.reference, member_id="DEMO1001")
        assert repository.by_reference(session, Grievance, grievance.reference, member_id="DEMO2002") is None
        assert repository.member(session, "DEMO1001").plan == "khs"
    found = records.of_conversation("conv-other", "DEMO1001")
    assert [r.reference for r in found["requests"]] == [opened.reference]
    assert [r.reference for r in found["rides"]] == [ride.reference]
    assert [g.reference for g in found["grievances"]] == [grievance.reference]
    assert [g.reference for g in records.of_conversation("conv-other")["grievances"]] == [grievance.reference]
    assert records.of_conversation("conv-other")["requests"] == []
    with pytest.raises(LookupError):
        cancel_members_ride(ride.reference, "DEMO2002", "not theirs")
    cancel_members_ride(ride.reference, "DEMO1001", "cancelled by the member")
    with session_scope() as session:
        assert repository.by_reference(session, Ride, ride.reference).status == "cancelled"
