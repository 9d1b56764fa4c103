"""Handoff rules without the servers: one open handoff per conversation, atomic claims
(also under 20 agents at once, on SQLite and PostgreSQL), the member's messages kept in
order, hours, unclaimed expiry, agent accounts (Argon2id, lockout) and the account command."""

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from bot import agents, handoff
from bot.store import session_scope
from bot.store.models import Agent, AuditEntry, Handoff
from bot.train import ROOT


def _open(conversation="web-test", channel="web"):
    return handoff.open_handoff(
        conversation,
        channel,
        "khs",
        "asked",
        {"verified": False},
        [("member", "hi", None), ("assistant", "Hello!", None)],
    )


def test_a_conversation_has_one_open_handoff_enforced_by_the_database(database):
    first = _open("web-one")
    assert _open("web-one") == first
    with pytest.raises(IntegrityError), session_scope() as session:
        session.execute(
            insert(Handoff).values(
                conversation_id="web-one",
                channel="web",
                reason="asked",
                status="waiting",
                summary="{}",
                agent_slots="{}",
                created_at=datetime.now(timezone.utc),
            )
        )


def test_twenty_agents_claiming_at_once_one_wins_and_the_rest_are_told_who(database):
    hid = _open("web-race")
    start = threading.Barrier(20)

    def claim(i):
        start.wait()
        return handoff.claim(hid, f"agent{i}", f"Agent {i}")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(claim, range(20)))
    winners = [r for r in results if r.won]
    assert len(winners) == 1
    winner = winners[0].holder
    assert {r.holder for r in results} == {winner}  # every loser is told who has it
    view = handoff.get(hid)
    assert (view.status, view.agent_name) == ("held", winner)
    with session_scope() as session:
        claims = session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "claim", AuditEntry.entity_key == str(hid))
        ).scalar_one()
    assert claims == 1


def test_two_agents_at_once_on_the_console_service(database):
    hid = _open("web-two")
    start = threading.Barrier(2)
    results = {}

    def claim(name):
        start.wait()
        results[name] = handoff.claim(hid, name, name.title())

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("maria", "james")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.won for r in results.values()) == [False, True]


def test_only_the_holder_writes_and_hands_back(database):
    hid = _open("web-holder")
    with pytest.raises(handoff.NotHolder):
        handoff.post_agent_message(hid, "maria", "Maria", "hello")  # not claimed yet
    handoff.claim(hid, "maria", "Maria")
    with pytest.raises(handoff.NotHolder):
        handoff.post_agent_message(hid, "james", "James", "hello")
    with pytest.raises(handoff.NotHolder):
        handoff.hand_back(hid, "james")
    handoff.post_agent_message(hid, "maria", "Maria", "Hi, I'm Maria.")
    handoff.set_agent_slots(hid, "maria", verified=True, member_id="DEMO1001")
    closed = handoff.hand_back(hid, "maria")
    assert "web-holder" not in [v.conversation_id for v in handoff.queue()]
    assert handoff.last_closed("web-holder").agent_slots == {"verified": True, "member_id": "DEMO1001"}
    assert closed.agent_name == "Maria"


def test_member_messages_during_a_handoff_are_kept_in_order_and_none_after_it(database):
    hid = _open("sms-order", "sms")
    said = [f"message {i}" for i in range(30)]
    for body in said:
        assert handoff.add_member_message("sms-order", body).handoff_id == hid
    members_said = [m.body for m in handoff.transcript(hid) if m.sender == "member"]
    assert members_said == ["hi"] + said
    handoff.claim(hid, "maria", "Maria")
    handoff.hand_back(hid, "maria")
    assert handoff.add_member_message("sms-order", "back to the assistant") is None


def test_unclaimed_handoffs_expire_once(database, monkeypatch):
    monkeypatch.setenv("HANDOFF_CLAIM_TIMEOUT_SECONDS", "60")
    hid = _open("web-late")
    claimed = _open("web-claimed")
    handoff.claim(claimed, "maria", "Maria")
    assert handoff.expire_unclaimed() == []  # not yet
    later = datetime.now(timezone.utc) + timedelta(seconds=61)
    expired = handoff.expire_unclaimed(later)
    assert [v.id for v in expired] == [hid]
    assert handoff.expire_unclaimed(later) == []
    assert handoff.get(hid).status == "unclaimed" and handoff.get(claimed).status == "held"


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc), True),  # Monday 8:00 Pacific
        (datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc), False),  # Monday 7:59
        (datetime(2026, 11, 24, 0, 59, tzinfo=timezone.utc), True),  # Monday 16:59
        (datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc), False),  # Monday 17:00
        (datetime(2026, 11, 22, 18, 0, tzinfo=timezone.utc), False),  # Sunday
        (datetime(2026, 11, 26, 18, 0, tzinfo=timezone.utc), False),  # Thanksgiving
    ],
)
def test_member_services_hours(moment, expected, monkeypatch):
    monkeypatch.delenv("MEMBER_SERVICES_HOURS", raising=False)
    assert handoff.on_duty("partnership", moment) is expected
    monkeypatch.setenv("MEMBER_SERVICES_HOURS", "never")
    assert handoff.on_duty("partnership", moment) is False


def test_passwords_are_argon2id_and_five_failures_lock_the_account(database):
    agents.create_agent("lock.test", "Lock Test", "a long enough password")
    with session_scope() as session:
        stored = session.execute(select(Agent.password_hash).where(Agent.username == "lock.test")).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored
    assert agents.authenticate("nobody", "whatever") == (None, "invalid")
    for _ in range(agents.MAX_FAILURES - 1):
        assert agents.authenticate("lock.test", "wrong") == (None, "invalid")
    assert agents.authenticate("lock.test", "wrong") == (None, "locked")
    assert agents.authenticate("lock.test", "a long enough password") == (None, "locked")
    later = datetime.now(timezone.utc) + timedelta(minutes=agents.LOCK_MINUTES + 1)
    agent, outcome = agents.authenticate("lock.test", "a long enough password", now=later)
    assert outcome == "ok" and agent.username == "lock.test"


def test_sessions_end_on_sign_out_and_tokens_are_stored_hashed(database):
    agent = agents.create_agent("session.test", "Session Test", "another long password")
    token, csrf = agents.start_session(agent)
    assert agents.session_for(token).csrf_token == csrf
    assert agents.session_for(token + "x") is None
    agents.end_session(token)
    assert agents.session_for(token) is None


def test_the_account_command(tmp_path):
    from bot.store import migrate

    url = f"sqlite:///{tmp_path / 'agents.db'}"
    migrate(url)
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    made = subprocess.run(
        [sys.executable, "-m", "bot.agents", "create", "ana.r", "--name", "Ana R", "--password-stdin"],
        input="a strong passphrase here\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    short = subprocess.run(
        [sys.executable, "-m", "bot.agents", "create", "bo", "--name", "Bo", "--password-stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert short.returncode == 1 and "at least" in short.stderr
    from bot.store import session_scope as scope

    with scope(url) as session:
        names = set(session.execute(select(Agent.username)).scalars())
    assert names == {"ana.r"}


def test_one_source_cannot_lock_an_agent_out_nor_learn_who_exists(database):
    agents.create_agent("source.test", "Source Test", "a long enough password")
    for _ in range(agents.SOURCE_MAX_FAILURES):
        assert agents.authenticate("source.test", "wrong", source="203.0.113.9") == (None, "invalid")
    # That place is paused, even with the right password; the agent elsewhere is not.
    assert agents.authenticate("source.test", "a long enough password", source="203.0.113.9") == (None, "slow_down")
    agent, outcome = agents.authenticate("source.test", "a long enough password", source="198.51.100.7")
    assert outcome == "ok" and agent.username == "source.test"
    # Unknown names are counted the same way, so guessing names pauses too.
    for _ in range(agents.SOURCE_MAX_FAILURES):
        assert agents.authenticate("no.such.agent", "wrong", source="192.0.2.44") == (None, "invalid")
    assert agents.authenticate("source.test", "a long enough password", source="192.0.2.44") == (None, "slow_down")
