"""More than one of everything: two Rasa servers (each with its action server) and two
gateway workers, on PostgreSQL and Redis. Twenty members chat at once, each message
through the other gateway than the last; one gateway is restarted in the middle; a
texting member's agent answers from a console on the other gateway. Every conversation
completes with one request, and every queued text is sent exactly once."""

import asyncio
import json
import re
import secrets

import httpx
import pytest
import redis
import websockets
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot import agents
from bot.members import seed_demo_roster
from bot.runtime import service_env
from bot.servers import FakeTwilio, Gateway, free_port
from bot.store import migrate, session_scope
from bot.store.models import SecondOpinionRequest, SmsOutbound
from tests import harness
from tests.databases import database_url_for
from tests.sms_helpers import ACCOUNT_SID, AUTH_TOKEN, PATH, signed, texts_of

pytestmark = pytest.mark.slow
REDIS_URL = "redis://127.0.0.1:6379/6"
PASSWORD = "multi worker test password"
PHONE = "+15595550999"
PUBLIC_BASE_HTTP = "http://assistant.example.org"
MEMBERS = 20
TURNS = (
    "i want a 2nd opinion, i have hpsj",
    "DEMO2002",
    "1975-12-02",
    "my back pain is not getting better after 6 months of pt",
    "my pcp",
    "more physical therapy",
    "in march",
    "1",
    "1",
    "no",
    "no",
    "yes",
)
BEFORE_RESTART = 6
SMALL_POOLS = {"SQL_POOL_SIZE": "10", "SQL_MAX_OVERFLOW": "5"}  # 2 Rasa servers under max_connections (README)


def redis_unavailable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError as e:
        return f"no Redis at {REDIS_URL}: {e}"
    return None


@pytest.fixture(scope="module")
def cluster(trained_model, tmp_path_factory):
    reason = redis_unavailable()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("multi")
    url = database_url_for("postgresql", work, "multi")
    migrate(url)
    seed_demo_roster(url)
    agents.create_agent("maria.l", "Maria L", PASSWORD, database_url=url)
    fake = FakeTwilio()
    started, gateways = [], []
    try:
        for name in ("rasa-a", "rasa-b"):
            (work / name).mkdir()
            started.append(
                harness.start(
                    work / name, url, tracker_url=url, extra_env={"REDIS_URL": REDIS_URL, **SMALL_POOLS, **always()}
                )
            )
        gateway_env = service_env(
            {
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_FROM_NUMBER": "+15550001111",
                "TWILIO_API_BASE": fake.url,
                "PUBLIC_BASE_URL": PUBLIC_BASE_HTTP,  # http: the console's cookies are not Secure-only
                "SMS_ID_KEY": "test-id-key",
                "DATABASE_URL": url,
                "TRACKER_STORE_URL": url,
                "REDIS_URL": REDIS_URL,
                "RASA_URL": ",".join(a.url for a in started),
                "RASA_TOKEN": started[0].token,
                "WEB_ID_KEY": secrets.token_urlsafe(16),
                "DEMO_DATA": "0",
                "SMS_OUTBOX_POLL_SECONDS": "0.2",
                **always(),
            }
        )
        for n in "ab":
            gateways.append(Gateway(free_port(), gateway_env, work / f"gateway-{n}.log").start())
        yield {"url": url, "gateways": gateways, "twilio": fake, "rasa": started}
    finally:
        for g in gateways:
            g.stop()
        for a in started:
            a.stop()
        fake.close()


def always() -> dict[str, str]:
    return {"MEMBER_SERVICES_HOURS": "always"}


async def say(gateway: Gateway, session: str, message_id: str, body: str) -> list[str]:
    """One web chat turn on `gateway`: connect, hello, send, wait for the answer."""
    async with websockets.connect(gateway.url.replace("http", "ws") + "/ws/chat", open_timeout=30) as ws:
        await ws.send(json.dumps({"type": "hello", "session": session, "last_agent": 0}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
            if frame["type"] == "welcome":
                break
        await ws.send(json.dumps({"type": "message", "id": message_id, "text": body}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 120))
            if frame.get("reply_to") == message_id:
                return [m.get("text", "") for m in frame.get("messages") or []]


async def member(gateways: list[Gateway], session: str, turns: range, said: dict[str, list[str]]) -> None:
    for turn in turns:  # each message through the other gateway than the last
        said[session].append(" ".join(await say(gateways[turn % 2], session, f"m{turn}", TURNS[turn])))


async def chat_all(gateways, sessions, turns, said):
    await asyncio.gather(*(member(gateways, s, turns, said) for s in sessions))


def text_in(gateway: Gateway, body: str) -> list[str]:
    params, _ = signed(body, phone=PHONE)
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_HTTP + PATH, params)}
    r = httpx.post(f"{gateway.url}{PATH}", data=params, headers=headers, timeout=120)
    r.raise_for_status()
    return texts_of(r.text)


def texted(fake: FakeTwilio, fragment: str, timeout: float = 30) -> list[str]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [t["Body"] for t in fake.sent if fragment in t["Body"]]
        if found:
            time.sleep(1)  # anything sent twice would arrive by now
            return [t["Body"] for t in fake.sent if fragment in t["Body"]]
        time.sleep(0.2)
    return []


def agent_answers_from(gateway: Gateway, body: str) -> None:
    with httpx.Client(base_url=gateway.url, timeout=60) as console:
        page = console.get("/console/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        console.post("/console/login", data={"csrf": csrf, "username": "maria.l", "password": PASSWORD})
        queue = console.get("/console").text
        (handoff_id,) = re.findall(r"Claim #(\d+)", queue)
        csrf = re.search(r'name="csrf" value="([^"]+)"', queue).group(1)
        console.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": csrf})
        console.post(f"/console/handoffs/{handoff_id}/reply", data={"csrf": csrf, "body": body})


def test_twenty_members_across_two_gateways_and_two_rasa_servers(cluster):
    a, b = cluster["gateways"]
    fake = cluster["twilio"]
    sessions = [f"multi-worker-member-{n:02d}-" + secrets.token_hex(8) for n in range(MEMBERS)]
    said: dict[str, list[str]] = {s: [] for s in sessions}

    asyncio.run(chat_all([a, b], sessions, range(BEFORE_RESTART), said))
    assert "An agent will join" in " ".join(text_in(a, "i want a second opinion") + text_in(a, "talk to a person"))
    a.stop()  # a gateway restarts while members are mid-request and a texting member waits
    agent_answers_from(b, "Hi, this is Maria from member services.")
    a.start()
    asyncio.run(chat_all([a, b], sessions, range(BEFORE_RESTART, len(TURNS)), said))

    for s in sessions:
        assert len(said[s]) == len(TURNS) and "reference number is SO-" in said[s][-1], (s, said[s][-3:])
    assert not [s for s in sessions if any("didn't catch" in turn for turn in said[s])]
    with session_scope(cluster["url"]) as db:
        requests = db.execute(select(SecondOpinionRequest)).scalars().all()
        assert len(requests) == MEMBERS and len({r.conversation_id for r in requests}) == MEMBERS
        assert {(r.plan, r.reason, r.network) for r in requests} == {("hpsj", "not_improving", "in_network")}

    assert texted(fake, "Hi, this is Maria from member services.") == [
        "Maria L (Member Services, a person): Hi, this is Maria from member services."
    ]
    assert len(texted(fake, "has joined")) == 1
    with session_scope(cluster["url"]) as db:
        queued = db.execute(select(SmsOutbound)).scalars().all()
    assert {q.status for q in queued} == {"sent"}
    bodies = [t["Body"] for t in fake.sent]
    assert len(bodies) == len(set(bodies)) == len(queued)  # each queued text sent once, none twice
