"""Start the real assistant on free local ports: the action server and the Rasa server
with its REST channel, on a given database, with logs kept; wait until it answers;
stop both. Shared by the tests (tests/harness.py) and the load benchmark
(bot/bench_load.py). Trains nothing: the model must exist."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx

from bot.runtime import action_server_cmd, rasa_cmd, service_env
from bot.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]  # (host, port) for AF_INET; typeshed says Any
        return port


@dataclass
class Assistant:
    url: str
    database_url: str
    logs: list[Path]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    tracker_url: str = ""
    token: str = ""  # Rasa's HTTP API token (the gateway hands conversations back with it)
    action_port: int = 0

    def send(self, sender: str, message: str) -> list[str]:
        """One member message; every text the assistant answered."""
        r = httpx.post(f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
        r.raise_for_status()
        return [m.get("text", "") for m in r.json()]

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


PORT_TAKEN = "address already in use"


def start(
    workdir: Path,
    database_url: str,
    model: Path,
    tracker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 240,
) -> Assistant:
    """The action server and Rasa (REST channel, HTTP API behind `token`) on free ports,
    ready to answer; logs in `workdir`. Both are stopped if either fails to start. A
    free port can be taken by another process before a server binds it (two test
    workers start servers at once): then both start again on new ports, up to 3 times."""
    attempts = 3
    while True:
        attempts -= 1
        try:
            return _start(workdir, database_url, model, tracker_url, extra_env, token, timeout)
        except RuntimeError as e:
            if PORT_TAKEN not in str(e) or not attempts:
                raise


def _start(
    workdir: Path,
    database_url: str,
    model: Path,
    tracker_url: str | None,
    extra_env: dict[str, str] | None,
    token: str | None,
    timeout: float,
) -> Assistant:
    if tracker_url is None:
        tracker_url = database_url if database_url.startswith("postgresql") else f"sqlite:///{workdir / 'tracker.db'}"
    token = token or secrets.token_urlsafe(16)  # may begin with "-": passed as --auth-token=...
    env = service_env({"DATABASE_URL": database_url, "TRACKER_STORE_URL": tracker_url, **(extra_env or {})})
    action_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"  # the project's own, on this run's action port
    endpoints.write_text(
        (ROOT / "endpoints.yml")
        .read_text()
        .replace("http://127.0.0.1:5055/webhook", f"http://127.0.0.1:{action_port}/webhook")
    )
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    assistant = Assistant(f"http://127.0.0.1:{rasa_port}", database_url, logs, [], tracker_url, token, action_port)
    try:
        assistant.procs.append(
            subprocess.Popen(
                action_server_cmd(action_port), cwd=ROOT, env=env, stdout=logs[0].open("w"), stderr=subprocess.STDOUT
            )
        )
        assistant.procs.append(
            subprocess.Popen(
                rasa_cmd(
                    "run",
                    "--model",
                    str(model),
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(rasa_port),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                    "--endpoints",
                    str(endpoints),
                    "--enable-api",
                    f"--auth-token={token}",
                ),
                cwd=ROOT,
                env=env,
                stdout=logs[1].open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        wait_until_ready(assistant, timeout)
    except BaseException:  # Ctrl-C while starting too: nothing left running
        assistant.stop()
        raise
    return assistant


def wait_until_ready(assistant: Assistant, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in assistant.procs):
            raise RuntimeError("a server exited during start-up:\n" + assistant.log_text()[-3000:])
        try:
            httpx.get(f"http://127.0.0.1:{assistant.action_port}/health", timeout=2).raise_for_status()
            if assistant.send("readiness-probe", "hello"):
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError("the assistant did not become ready:\n" + assistant.log_text()[-3000:])


class FakeTwilio:
    """Records POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio would receive them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.fail_next: list[int] = []  # HTTP statuses to answer the next posts with, as Twilio errs
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                status = fake.fail_next.pop(0) if fake.fail_next else 201
                if status == 201:
                    fake.sent.append({"path": self.path, **form})
                    answer = {"sid": "SMfake", "status": "queued", "to": form.get("To"), "body": form.get("Body")}
                else:
                    code = 21211 if status == 400 else 20500
                    answer = {"code": str(code), "message": "fake error", "status": str(status)}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Gateway:
    """One gateway worker (uvicorn, bot.web.app) on a fixed port, restartable there."""

    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Gateway:
        cmd = [sys.executable, "-m", "uvicorn", "bot.web.app:app", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the gateway exited during start-up:\n" + self.log.read_text()[-3000:])
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("the gateway did not become ready:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
