"""Run the real assistant for end-to-end tests: the trained model, the Rasa server
with its REST channel and the action server, on free local ports and a temporary
database. Logs are kept so tests can check what they contain."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.runtime import action_server_cmd, rasa_cmd, service_env
from bot.train import MODEL, ROOT, train


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Assistant:
    url: str
    database_url: str
    logs: list[Path]
    procs: list[subprocess.Popen] = field(default_factory=list)

    tracker_url: str = ""
    token: str = ""  # Rasa's HTTP API token (the gateway hands conversations back with it)

    def send(self, sender: str, message: str) -> list[str]:
        """One member message; every text the assistant answered."""
        r = httpx.post(f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
        r.raise_for_status()
        return [m.get("text", "") for m in r.json()]

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def start(
    workdir: Path, database_url: str, tracker_url: str = None, extra_env: dict = None, token: str = None
) -> Assistant:
    if not MODEL.exists():
        train()
    if tracker_url is None:
        tracker_url = database_url if database_url.startswith("postgresql") else f"sqlite:///{workdir / 'tracker.db'}"
    token = token or secrets.token_urlsafe(16)  # may begin with "-": passed as --auth-token=...
    # Member-services hours follow the clock; tests say whether agents are on duty.
    env = service_env(
        {
            "DATABASE_URL": database_url,
            "TRACKER_STORE_URL": tracker_url,
            "MEMBER_SERVICES_HOURS": "never",
            **(extra_env or {}),
        }
    )
    action_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"  # the project's own, on this run's action port
    endpoints.write_text(
        (ROOT / "endpoints.yml")
        .read_text()
        .replace("http://127.0.0.1:5055/webhook", f"http://127.0.0.1:{action_port}/webhook")
    )
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    procs = [
        subprocess.Popen(
            action_server_cmd(action_port), cwd=ROOT, env=env, stdout=logs[0].open("w"), stderr=subprocess.STDOUT
        ),
        subprocess.Popen(
            rasa_cmd(
                "run",
                "--model",
                str(MODEL),
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
        ),
    ]
    assistant = Assistant(f"http://127.0.0.1:{rasa_port}", database_url, logs, procs, tracker_url, token)
    _wait_until_ready(assistant, action_port)
    return assistant


def _wait_until_ready(assistant: Assistant, action_port: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in assistant.procs):
            assistant.stop()  # the other one too: nothing left running
            raise RuntimeError("a server exited during start-up:\n" + assistant.log_text()[-3000:])
        try:
            httpx.get(f"http://127.0.0.1:{action_port}/health", timeout=2).raise_for_status()
            if assistant.send("readiness-probe", "hello"):
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(1)
    assistant.stop()
    raise RuntimeError("the assistant did not become ready:\n" + assistant.log_text()[-3000:])


def start_on_sqlite(workdir: Path, name: str, **options) -> Assistant:
    """The assistant on a new SQLite database of its own, migrated, with the demo roster."""
    from bot.members import seed_demo_roster
    from bot.store import migrate

    url = f"sqlite:///{workdir / f'{name}.db'}"
    migrate(url)
    seed_demo_roster(url)
    return start(workdir, url, **options)
