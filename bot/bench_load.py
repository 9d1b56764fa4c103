"""`make bench-load`: the product under load, measured against a floor in the same run.

    python -m bot.bench_load [--quick] [--sequential N] [--at-once N]
                             [--url http://127.0.0.1:8000 --rasa-url http://127.0.0.1:5005]

It starts the product on a throwaway SQLite database in a temporary folder (the action
server and Rasa through bot/servers.py, the gateway with uvicorn), seeds fictional
members there (LOAD0001, ...; is_demo), and builds the floor: the stock `rasa init`
bot, trained by the same Rasa in another temporary folder and run with
`rasa run --enable-api`. With --url it uses a running product instead (its gateway at
--url, Rasa at --rasa-url) and seeds the fictional members in DATABASE_URL, the
database that product uses; SMS is then measured only if TWILIO_AUTH_TOKEN and
PUBLIC_BASE_URL name the gateway's own.

One load generator (asyncio) drives both, after one warm-up conversation on each path:

  sequential   one member at a time over the REST channel, --sequential conversations;
               the product's is the README's request conversation (11 turns, ending on
               "SO-..."), the floor's an 11-turn chat with the stock bot;
  web chat     --at-once product conversations at the same time through the gateway's
               WebSocket (/ws/chat), each a different member; the floor's the same
               number at once over REST;
  SMS          the same through the Twilio webhook, requests signed as Twilio signs them,
               answers read from the TwiML (a reply later than SMS_REPLY_TIMEOUT, sent
               as a text instead, is missing from it: an error).

An error is an HTTP or WebSocket failure, a turn with no reply, or a conversation that
does not end on its reference number. Prints, per scenario, p50/p95/p99 latency of a
turn, throughput (turns per second of wall time), errors and the ratio to the floor's
scenario, then CPU seconds per turn of each process (from /proc). Prints figures; the
exit code says only whether the benchmark could run. Every process it started is
stopped at the end, on failure and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import httpx

from bot.runtime import rasa_cmd, service_env
from bot.servers import FakeTwilio, free_port

TURN_TIMEOUT = 60.0  # seconds before a turn counts as an error
REFERENCE = re.compile(r"\bSO-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
SMS_PATH = "/webhooks/twilio/sms"  # bot.web.sms.WEBHOOK_PATH (not imported: it loads the gateway)
PUBLIC_BASE = "https://load-bench.invalid"
MEMBER_PREFIX = "LOAD"
LOAD_GENERATOR = "load generator"
FULL = {"sequential": 10, "at_once": 20}
QUICK = {"sequential": 2, "at_once": 4}


# --- what the members say ---------------------------------------------------------------


@dataclass(frozen=True)
class BenchMember:
    member_id: str
    dob: date
    plan: str

    @property
    def dob_text(self) -> str:
        return f"{self.dob.month}/{self.dob.day}/{self.dob.year}"


def bench_members(n: int, plans: Sequence[str]) -> list[BenchMember]:
    """n fictional members, the plans in turn. Days from the 13th on, so no date of birth
    reads two ways."""
    return [
        BenchMember(f"{MEMBER_PREFIX}{i:04d}", date(1950 + i % 40, 1 + i % 12, 13 + i % 15), plans[i % len(plans)])
        for i in range(1, n + 1)
    ]


def product_script(member: BenchMember) -> list[str]:
    """The README's request conversation ("Talking to it"), without the correction: a
    greeting, a rights question, then the request to its reference number."""
    return [
        "hi",
        "does partnership need approval for an out of network second opinion?",
        "i want a second opinion, my doctor wants to do knee surgery and i dont think i need it",
        f"{member.member_id} {member.dob_text}",
        "Dr. Patel, orthopedic surgeon",
        "about 2 weeks ago",
        "me",
        "in network",
        "no",
        "no",
        "yes",
    ]


# What each turn of product_script() does, for the per-turn figures.
PRODUCT_TURNS = [
    "greeting",
    "rights question",
    "asks for one",
    "ID + birth date",
    "first opinion",
    "when",
    "who asks",
    "network",
    "preferred provider",
    "urgency",
    "confirms",
]

# The stock `rasa init` bot: greet, mood_great, mood_unhappy, affirm, deny, bot_challenge, goodbye.
# (No "no": after this history the stock bot's policies predict nothing for deny.)
FLOOR_SCRIPT = [
    "hi",
    "I am feeling great",
    "are you a bot?",
    "hello there",
    "I am sad",
    "yes",
    "hey",
    "not good",
    "yes",
    "am I talking to a human?",
    "bye",
]


def product_done(replies: list[str]) -> bool:
    return bool(REFERENCE.search("\n".join(replies)))


def floor_done(replies: list[str]) -> bool:
    return bool(replies)


# --- figures ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks (as numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class ConversationResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    conversations: int
    latencies_ms: list[float]
    errors: list[str]
    wall_s: float
    floor: str | None = None  # the scenario this one is compared with
    cpu_s: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds used meanwhile
    by_turn: list[list[float]] = field(default_factory=list)  # [i]: latencies of every conversation's turn i+1

    @property
    def turns(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.turns / self.wall_s if self.wall_s > 0 else math.nan

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def by_turn(results: list[ConversationResult]) -> list[list[float]]:
    """Latencies grouped by the turn's place in its conversation."""
    grouped: list[list[float]] = []
    for r in results:
        for i, ms in enumerate(r.latencies_ms):
            if i == len(grouped):
                grouped.append([])
            grouped[i].append(ms)
    return grouped


def turn_table(scenarios: list[Scenario], labels: Sequence[str]) -> str:
    """Median latency of each turn of the product's conversation, by scenario: which
    turns cost the time."""
    head = f"{'turn':<22} " + " ".join(f"{s.name.split(': ', 1)[-1]:>20}" for s in scenarios)
    lines = [head, "-" * len(head)]
    for i, label in enumerate(labels):
        cells = [_ms(percentile(s.by_turn[i], 50)) if i < len(s.by_turn) else "-" for s in scenarios]
        lines.append(f"{f'{i + 1:>2} {label}':<22} " + " ".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def _ratio(value: float, floor: float) -> str:
    return "-" if math.isnan(value) or math.isnan(floor) or floor == 0 else f"{value / floor:.2f}x"


def table(scenarios: list[Scenario], processes: Sequence[str]) -> str:
    """Latency and throughput per scenario, with ratios to its floor; then CPU per turn."""
    by_name = {s.name: s for s in scenarios}
    head = (
        f"{'scenario':<30} {'conv':>4} {'turns':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'turns/s':>8} {'errors':>6} {'p95/floor':>9} {'tput/floor':>10}"
    )
    lines = [head, "-" * len(head)]
    for s in scenarios:
        floor = by_name.get(s.floor) if s.floor else None
        lines.append(
            f"{s.name:<30} {s.conversations:>4} {s.turns:>5} {_ms(s.p(50)):>7} {_ms(s.p(95)):>7} "
            f"{_ms(s.p(99)):>7} {s.throughput:>8.2f} {len(s.errors):>6} "
            f"{_ratio(s.p(95), floor.p(95)) if floor else '(floor)':>9} "
            f"{_ratio(s.throughput, floor.throughput) if floor else '':>10}"
        )
    lines += ["", "CPU seconds per turn, by process (CPU used during the scenario / its turns; '-': not measured)"]
    servers = [p for p in processes if p != LOAD_GENERATOR]
    head = f"{'scenario':<30} " + " ".join(f"{p:>14}" for p in [*processes, "servers total"])
    lines += [head, "-" * len(head)]
    for s in scenarios:
        cells = [s.cpu_s[p] / s.turns if p in s.cpu_s and s.turns else None for p in processes]
        total = sum(s.cpu_s[p] for p in servers if p in s.cpu_s) / s.turns if s.turns and s.cpu_s else None
        lines.append(
            f"{s.name:<30} " + " ".join("{:>14}".format("-" if c is None else f"{c:.3f}") for c in [*cells, total])
        )
    return "\n".join(lines)


def verdict(scenarios: list[Scenario]) -> list[str]:
    """The issue's targets, read off this run's figures (printed, never enforced)."""
    by_name = {s.name: s for s in scenarios}
    seq, seq_floor = by_name.get("product: sequential REST"), by_name.get("floor: sequential REST")
    web, at_once_floor = by_name.get("product: at once web chat"), by_name.get("floor: at once REST")
    out = []

    def line(ok: bool, what: str) -> None:
        out.append(f"  [{'met' if ok else 'MISSED'}] {what}")

    if seq and seq_floor:
        r = seq.p(95) / seq_floor.p(95)
        line(r <= 1.5, f"one member at a time: p95 {r:.2f}x the floor (target at most 1.5x)")
    if web and at_once_floor:
        r = web.throughput / at_once_floor.throughput
        line(r >= 0.6, f"{web.conversations} at once, web chat: throughput {r:.2f}x the floor (target at least 0.6x)")
        line(web.p(95) < 1000, f"{web.conversations} at once, web chat: p95 {web.p(95):.0f} ms (target under 1000 ms)")
    errors = sum(len(s.errors) for s in scenarios)
    line(errors == 0, f"errors: {errors} (target 0)")
    return out


# --- CPU of processes ---------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a live process, from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # ppid, utime + stime


def cpu_seconds(pid: int, descendants: bool = True) -> float | None:
    """CPU seconds of a process and, unless told otherwise, its live descendants (a
    server may fork workers)."""
    if not descendants:
        own = _stat(pid)
        return own[1] if own else None
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() for s in [_stat(int(p))] if s}
    if pid not in stats:
        return None
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats[current][1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total


def pid_listening_on(port: int) -> int | None:
    """The process (of this user) listening on 127.0.0.1/0.0.0.0:port, for --url."""
    inodes = set()
    for table_path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table_path).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(cols[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


class CpuMeter:
    """CPU seconds each named process used between start() and stop()."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self._before: dict[str, float | None] = {}

    def _read(self, name: str) -> float | None:
        # The load generator is this process: its children are the servers, measured apart.
        return cpu_seconds(self.pids[name], descendants=name != LOAD_GENERATOR)

    def start(self) -> None:
        self._before = {name: self._read(name) for name in self.pids}

    def stop(self) -> dict[str, float]:
        used = {}
        for name in self.pids:
            now, before = self._read(name), self._before.get(name)
            if now is not None and before is not None:
                used[name] = now - before
        return used


# --- the load generator -------------------------------------------------------------------


class Client:
    """One member's way in. send() returns every text of the reply."""

    async def open(self) -> None:
        pass

    async def send(self, text: str) -> list[str]:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class RestClient(Client):
    def __init__(self, http: httpx.AsyncClient, url: str, sender: str) -> None:
        self.http, self.url, self.sender = http, url, sender

    async def send(self, text: str) -> list[str]:
        r = await self.http.post(f"{self.url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        r.raise_for_status()
        return [m["text"] for m in r.json() if m.get("text")]


class WebChatClient(Client):
    """The gateway's /ws/chat protocol, as the chat page speaks it."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url, self.count = ws_url, 0
        self.ws: Any = None

    async def open(self) -> None:
        import websockets.client as websockets  # websockets 10: connect lives here

        self.ws = await websockets.connect(self.ws_url, open_timeout=TURN_TIMEOUT, ping_interval=None, max_size=2**22)
        await self.ws.send(json.dumps({"type": "hello", "session": secrets.token_urlsafe(24)}))
        while (await self._frame()).get("type") != "welcome":
            pass

    async def _frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await self.ws.recv())
        return frame

    async def send(self, text: str) -> list[str]:
        self.count += 1
        message_id = f"m{self.count}"
        await self.ws.send(json.dumps({"type": "message", "id": message_id, "text": text}))
        while True:
            frame = await self._frame()
            kind = frame.get("type")
            if kind == "bot" and frame.get("reply_to") == message_id:
                return [m["text"] for m in frame.get("messages") or [] if m.get("text")]
            if kind == "held" and frame.get("reply_to") == message_id:
                raise RuntimeError("the chat was handed to a person")
            if kind == "error":
                raise RuntimeError(f"chat error: {frame.get('error')}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def sign_sms(auth_token: str, public_base: str, params: dict[str, str]) -> str:
    from twilio.request_validator import RequestValidator

    signature: str = RequestValidator(auth_token).compute_signature(public_base.rstrip("/") + SMS_PATH, params)
    return signature


def twiml_texts(twiml: str) -> list[str]:
    return [m.text or "" for m in ET.fromstring(twiml).iter("Message")] if twiml.strip() else []


class SmsClient(Client):
    """Twilio's webhook calls, signed with the gateway's auth token over its public URL."""

    def __init__(self, http: httpx.AsyncClient, gateway: str, auth_token: str, public_base: str, phone: str) -> None:
        self.http, self.gateway, self.auth_token, self.public_base, self.phone = (
            http,
            gateway,
            auth_token,
            public_base,
            phone,
        )

    async def send(self, text: str) -> list[str]:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "From": self.phone,
            "To": "+15550001111",
            "Body": text,
            "AccountSid": "ACloadbench",
        }
        headers = {"X-Twilio-Signature": sign_sms(self.auth_token, self.public_base, params)}
        r = await self.http.post(f"{self.gateway}{SMS_PATH}", data=params, headers=headers)
        r.raise_for_status()
        return twiml_texts(r.text)


async def converse(client: Client, script: list[str], done: Callable[[list[str]], bool]) -> ConversationResult:
    """Walk one scripted conversation; time each turn from sending to the whole reply."""
    result, replies = ConversationResult(), list[str]()
    try:
        await asyncio.wait_for(client.open(), TURN_TIMEOUT)
        for turn, text in enumerate(script, 1):
            started = time.perf_counter()
            try:
                said = await asyncio.wait_for(client.send(text), TURN_TIMEOUT)
            except Exception as e:  # noqa: BLE001 (counted; the conversation cannot go on)
                result.errors.append(f"turn {turn}: {type(e).__name__} {str(e)[:120]}")
                return result
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not said:
                result.errors.append(f"turn {turn}: no reply")
            replies = said or replies
        if not done(replies):
            result.errors.append(f"did not reach its end; last reply: {' / '.join(replies)[:160]!r}")
        return result
    except Exception as e:  # noqa: BLE001 (opening failed)
        result.errors.append(f"open: {type(e).__name__} {str(e)[:120]}")
        return result
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 10)


async def run_scenario(
    name: str,
    clients: list[tuple[Client, list[str], Callable[[list[str]], bool]]],
    at_once: bool,
    meter: CpuMeter | None = None,
    floor: str | None = None,
) -> Scenario:
    if meter:
        meter.start()
    started = time.perf_counter()
    if at_once:
        results = await asyncio.gather(*(converse(c, script, done) for c, script, done in clients))
    else:
        results = [await converse(c, script, done) for c, script, done in clients]
    wall = time.perf_counter() - started
    scenario = Scenario(
        name,
        len(clients),
        [ms for r in results for ms in r.latencies_ms],
        [e for r in results for e in r.errors],
        wall,
        floor,
        meter.stop() if meter else {},
        by_turn(results),
    )
    print(f"  {name}: {scenario.turns} turns in {wall:.1f} s, {len(scenario.errors)} errors", flush=True)
    for error in scenario.errors[:5]:
        print(f"    error: {error}", flush=True)
    return scenario


# --- the processes ------------------------------------------------------------------------


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop one process this benchmark started, and its process group (its own session)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except OSError:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait()


def spawn(stack: ExitStack, cmd: list[str], log: Path, **options: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, **options)
    stack.callback(stop_process, proc)
    return proc


def wait_for(
    what: str, ready: Callable[[], bool], procs: list[subprocess.Popen[bytes]], log: Path, timeout: float = 300
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"{what} exited during start-up:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{what} did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def rest_answers(url: str) -> bool:
    r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": "readiness-probe", "message": "hi"}, timeout=30)
    return r.status_code == 200 and bool(r.json())


@dataclass
class Target:
    """Where each part listens, and the processes to measure."""

    rasa_url: str
    gateway_url: str
    gateway_urls: list[str] = field(default_factory=list)  # every gateway worker (the first is gateway_url)
    floor_url: str = ""
    sms_token: str = ""
    public_base: str = ""
    pids: dict[str, int | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def seed_members(database_url: str | None, members: list[BenchMember]) -> None:
    from bot.members import upsert

    for m in members:
        upsert(
            m.member_id,
            "Load",
            f"Member{m.member_id[len(MEMBER_PREFIX) :]}",
            m.dob,
            m.plan,
            is_demo=True,
            database_url=database_url,
        )


def roster_plans() -> list[str]:
    import yaml

    from bot.members import DEMO_ROSTER

    return [m["plan"] for m in yaml.safe_load(DEMO_ROSTER.read_text(encoding="utf-8"))["members"]]


def build_floor(stack: ExitStack, workdir: Path) -> subprocess.Popen[bytes]:
    """`rasa init --no-prompt` (it trains the stock bot), started in the background."""
    floor_dir = workdir / "floor"
    floor_dir.mkdir()
    return spawn(
        stack,
        rasa_cmd("init", "--no-prompt", "--init-dir", str(floor_dir)),
        workdir / "floor-init.log",
        cwd=floor_dir,
        env=service_env(),
    )


def start_floor(
    stack: ExitStack, workdir: Path, floor_dir: Path, init: subprocess.Popen[bytes] | None
) -> tuple[str, subprocess.Popen[bytes]]:
    """The stock bot on a free port, once `rasa init` (if building it) has finished."""
    if init is not None and init.wait() != 0:
        raise RuntimeError(f"rasa init failed:\n{(workdir / 'floor-init.log').read_text(errors='replace')[-3000:]}")
    port, log = free_port(), workdir / "floor-rasa.log"
    proc = spawn(
        stack,
        rasa_cmd(
            "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port), "--model", str(floor_dir / "models")
        ),
        log,
        cwd=floor_dir,
        env=service_env(),
    )
    url = f"http://127.0.0.1:{port}"
    wait_for("the floor's Rasa", lambda: rest_answers(url), [proc], log)
    return url, proc


def start_product(
    stack: ExitStack,
    workdir: Path,
    members: list[BenchMember],
    workers: int = 1,
    redis_url: str = "",
    postgres_admin: str = "",
) -> Target:
    """Rasa and the action server (bot/servers.py) and the gateway, on a new SQLite
    database; with `workers` > 1, that many of each on a new PostgreSQL database and Redis
    (the gateways route each conversation to one Rasa server; the members are spread over
    the gateways as a load balancer would)."""
    from bot import servers
    from bot.store import migrate
    from bot.train import MODEL

    if not MODEL.exists():
        raise SystemExit(f"No trained model at {MODEL}: `make train` first.")
    url = new_postgres_database(stack, postgres_admin) if workers > 1 else f"sqlite:///{workdir / 'records.db'}"
    migrate(url)
    seed_members(url, members)
    # Pools sized for N servers under PostgreSQL's 100 connections (README, "more than one machine")
    scaled = {"REDIS_URL": redis_url, "SQL_POOL_SIZE": "10", "SQL_MAX_OVERFLOW": "5"} if workers > 1 else {}
    assistants = []
    for n in range(workers):
        (workdir / f"rasa-{n + 1}").mkdir()
        assistant = servers.start(
            workdir / f"rasa-{n + 1}",
            url,
            MODEL,
            tracker_url=url if workers > 1 else None,
            extra_env={"MEMBER_SERVICES_HOURS": "never", **scaled},
        )
        stack.callback(assistant.stop)
        assistants.append(assistant)
    fake = FakeTwilio()
    stack.callback(fake.close)
    sms_token = secrets.token_urlsafe(24)
    env = service_env(
        {
            "DATABASE_URL": url,
            "TRACKER_STORE_URL": assistants[0].tracker_url,
            "RASA_URL": ",".join(a.url for a in assistants),
            "RASA_TOKEN": assistants[0].token,
            "TWILIO_AUTH_TOKEN": sms_token,
            "TWILIO_ACCOUNT_SID": "ACloadbench",
            "TWILIO_FROM_NUMBER": "+15550001111",
            "TWILIO_API_BASE": fake.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE,
            "SMS_ID_KEY": secrets.token_urlsafe(24),
            "WEB_ID_KEY": secrets.token_urlsafe(24),
            "STAFF_API_TOKEN": secrets.token_urlsafe(24),
            "MEMBER_SERVICES_HOURS": "never",
            "DEMO_DATA": "0",
            **scaled,
        }
    )
    gateways = []
    for n in range(workers):
        gateway = servers.Gateway(free_port(), env, workdir / f"gateway-{n + 1}.log")
        stack.callback(gateway.stop)
        gateways.append(gateway.start())
    target = Target(
        assistants[0].url,
        gateways[0].url,
        gateway_urls=[g.url for g in gateways],
        sms_token=sms_token,
        public_base=PUBLIC_BASE,
    )
    for n, (assistant, gateway) in enumerate(zip(assistants, gateways, strict=True)):
        tag = f" {n + 1}" if workers > 1 else ""
        target.pids[f"rasa{tag}"] = assistant.procs[1].pid
        target.pids[f"action server{tag}"] = assistant.procs[0].pid
        target.pids[f"gateway{tag}"] = gateway.proc.pid if gateway.proc else None
    return target


def new_postgres_database(stack: ExitStack, admin: str) -> str:
    """A new database on the PostgreSQL server of `admin` (a database URL), dropped at the end."""
    import psycopg2  # type: ignore[import-untyped]  # no stubs pinned

    name = f"so_bench_{secrets.token_hex(5)}"

    def run(sql: str) -> None:
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    run(f'CREATE DATABASE "{name}"')
    stack.callback(run, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin.rsplit("/", 1)[0] + "/" + name


def use_running(url: str, rasa_url: str, action_port: int, members: list[BenchMember]) -> Target:
    from bot.settings import get_settings

    settings = get_settings()
    seed_members(settings.database_url, members)
    target = Target(
        rasa_url.rstrip("/"), url.rstrip("/"), sms_token=settings.twilio_auth_token, public_base=settings.public_base
    )
    for name, port in (
        ("rasa", urllib.parse.urlsplit(rasa_url).port or 5005),
        ("action server", action_port),
        ("gateway", urllib.parse.urlsplit(url).port or 80),
    ):
        target.pids[name] = pid_listening_on(port)
        if target.pids[name] is None:
            target.notes.append(f"{name}: no process of this user listens on port {port}; its CPU is not measured")
    if not (target.sms_token and target.public_base):
        target.notes.append("SMS not measured: set TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL as the gateway has them")
    return target


# --- the run ------------------------------------------------------------------------------


async def measure(
    target: Target, members: list[BenchMember], sequential: int, at_once: int, floor_pid: int | None
) -> list[Scenario]:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    gateways = target.gateway_urls or [target.gateway_url]
    product_meter = CpuMeter(
        {**{k: v for k, v in target.pids.items() if k != "floor rasa"}, LOAD_GENERATOR: os.getpid()}
    )
    floor_meter = CpuMeter({"floor rasa": floor_pid, LOAD_GENERATOR: os.getpid()})
    pool = iter(members)
    run = secrets.token_hex(4)  # a rerun against a running product starts new conversations
    phones = random.randrange(1_000_000, 8_000_000)

    def product(
        make: Callable[[BenchMember, int], Client], n: int
    ) -> list[tuple[Client, list[str], Callable[[list[str]], bool]]]:
        return [(make(m, i), product_script(m), product_done) for i, m in enumerate(next(pool) for _ in range(n))]

    def floor(n: int, tag: str) -> list[tuple[Client, list[str], Callable[[list[str]], bool]]]:
        return [
            (RestClient(http, target.floor_url, f"floor-{tag}-{run}-{i}"), FLOOR_SCRIPT, floor_done) for i in range(n)
        ]

    def rest(m: BenchMember, i: int) -> Client:
        return RestClient(http, target.rasa_url, f"load-rest-{run}-{m.member_id}")

    def web(m: BenchMember, i: int) -> Client:
        return WebChatClient(gateways[i % len(gateways)].replace("http", "ws", 1) + "/ws/chat")

    def sms(m: BenchMember, i: int) -> Client:
        return SmsClient(
            http,
            gateways[i % len(gateways)],
            target.sms_token,
            target.public_base,
            f"+1555{phones + int(m.member_id[len(MEMBER_PREFIX) :])}",
        )

    with_sms = bool(target.sms_token and target.public_base)
    async with httpx.AsyncClient(timeout=TURN_TIMEOUT, limits=limits) as http:
        print("Warming up (one conversation on each path, not counted)", flush=True)
        warm = floor(1, "warm") + product(rest, 1) + product(web, 1) + (product(sms, 1) if with_sms else [])
        for client, script, done in warm:
            result = await converse(client, script, done)
            if result.errors:
                print(f"  warm-up {type(client).__name__}: {result.errors[0]}", flush=True)
        print("Measuring", flush=True)
        scenarios = [
            await run_scenario("floor: sequential REST", floor(sequential, "seq"), False, floor_meter),
            await run_scenario(
                "product: sequential REST", product(rest, sequential), False, product_meter, "floor: sequential REST"
            ),
            await run_scenario("floor: at once REST", floor(at_once, "once"), True, floor_meter),
            await run_scenario(
                "product: at once web chat", product(web, at_once), True, product_meter, "floor: at once REST"
            ),
        ]
        if with_sms:
            scenarios.append(
                await run_scenario(
                    "product: at once SMS", product(sms, at_once), True, product_meter, "floor: at once REST"
                )
            )
    return scenarios


def _interrupted(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_load", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {QUICK['sequential']} sequential, {QUICK['at_once']} at once",
    )
    parser.add_argument("--sequential", type=int, help=f"conversations one at a time (default {FULL['sequential']})")
    parser.add_argument("--at-once", type=int, help=f"conversations at the same time (default {FULL['at_once']})")
    parser.add_argument(
        "--url", help="a running product's gateway (e.g. http://127.0.0.1:8000) instead of starting one"
    )
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="with --url: its Rasa (REST channel)")
    parser.add_argument("--action-port", type=int, default=5055, help="with --url: its action server's port (CPU only)")
    parser.add_argument(
        "--floor",
        type=Path,
        help="a stock bot `rasa init` already built there (skips its training; "
        "a floor built by --keep is in <folder>/floor)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Rasa servers, action servers and gateway workers of each kind (more than 1: on a new "
        "PostgreSQL database and Redis, the multi-worker mode)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="with --workers: the Redis to use")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://127.0.0.1:5432/test",
        help="with --workers: a database on the PostgreSQL server where the benchmark's own database is made",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) and say where")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sequential, at_once = args.sequential or sizes["sequential"], args.at_once or sizes["at_once"]
    signal.signal(signal.SIGTERM, _interrupted)

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    load_before = os.getloadavg()
    members = bench_members(sequential + 2 * at_once + 3, roster_plans())  # + one warm-up per product path
    started, finished = time.perf_counter(), False
    try:
        with ExitStack() as stack:
            floor_dir = args.floor.resolve() if args.floor else workdir / "floor"
            print(
                f"{'Using' if args.floor else 'Building (rasa init)'} the floor in {floor_dir}, "
                "starting the product...",
                flush=True,
            )
            init = None if args.floor else build_floor(stack, workdir)
            if args.url:
                target = use_running(args.url, args.rasa_url, args.action_port, members)
            else:
                target = start_product(stack, workdir, members, args.workers, args.redis_url, args.postgres_url)
            target.floor_url, floor_proc = start_floor(stack, workdir, floor_dir, init)
            target.pids["floor rasa"] = floor_proc.pid
            print(f"Ready after {time.perf_counter() - started:.0f} s", flush=True)
            scenarios = asyncio.run(measure(target, members, sequential, at_once, floor_proc.pid))
            print("Stopping...", flush=True)
        finished = True
    except KeyboardInterrupt:
        print(f"\nInterrupted; every process this benchmark started is stopped (logs in {workdir}).", file=sys.stderr)
        return 130
    except (RuntimeError, OSError) as e:
        print(f"The benchmark could not run: {e}\n(logs in {workdir})", file=sys.stderr)
        return 1
    finally:
        if finished and not args.keep:  # a failed run keeps its logs
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()

    print()
    print(
        f"Load benchmark: {os.cpu_count()} CPUs, load average (1/5/15 min) before "
        f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in load_after)}"
        f"{'; product at ' + args.url if args.url else ''}"
    )
    print("Product: the README's request conversation (11 turns, to its SO- reference), a fictional member each;")
    print("floor: the stock `rasa init` bot, an 11-turn chat over its REST channel. Ratios: product / floor.")
    for note in target.notes:
        print(f"Note: {note}")
    print()
    print(table(scenarios, [*[p for p in target.pids if p != "floor rasa"], "floor rasa", LOAD_GENERATOR]))
    print()
    print("Median ms of each turn of the product's conversation")
    print(turn_table([s for s in scenarios if s.name.startswith("product")], PRODUCT_TURNS))
    print()
    print("The issue's targets in this run:")
    print("\n".join(verdict(scenarios)))
    if args.keep:
        print(f"\nLogs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
