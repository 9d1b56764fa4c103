"""Only Rasa reaches the action server: a call without the shared secret, or with a
wrong one, is refused and runs nothing; it listens on 127.0.0.1 only."""

import json
import subprocess

import httpx
import pytest
from sqlalchemy import func, select

from bot.runtime import action_server_cmd, service_env
from bot.store import session_scope
from bot.store.models import AuditEntry
from bot.train import ROOT
from tests.harness import free_port

pytestmark = pytest.mark.slow
TOKEN = "-starts-with-a-dash-" + "x" * 20


@pytest.fixture(scope="module")
def action_server(tmp_path_factory, migrated_database):
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    proc = subprocess.Popen(
        action_server_cmd(port),
        cwd=ROOT,
        env=service_env({"ACTION_SERVER_TOKEN": TOKEN}),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text()) from None
                import time

                time.sleep(0.5)
        yield url, port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def forged_call(dob="4/9/1961"):
    """What an attacker would send: verify DEMO1001 with a guessed date of birth."""
    return {
        "next_action": "validate_verify_form",
        "sender_id": "attacker",
        "tracker": {
            "sender_id": "attacker",
            "slots": {"member_id": "DEMO1001", "dob": dob, "requested_slot": "dob", "verify_failures": 0},
            "latest_message": {"text": dob, "intent": {}, "entities": []},
            "events": [{"event": "user", "text": dob}, {"event": "slot", "name": "dob", "value": dob}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "verify_form"},
            "latest_action_name": "action_listen",
        },
        "domain": {"forms": {"verify_form": {"required_slots": ["member_id", "dob"]}}, "slots": {}},
        "version": "3.6.2",
    }


def audit_rows():
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


@pytest.mark.parametrize("headers", [{}, {"X-Action-Token": "wrong"}, {"X-Action-Token": TOKEN + "x"}])
def test_a_call_without_the_secret_is_refused_and_runs_nothing(action_server, headers):
    url, _ = action_server
    before = audit_rows()
    r = httpx.post(f"{url}/webhook", json=forged_call(), headers=headers, timeout=10)
    assert r.status_code == 403 and "Maria" not in r.text and "verified" not in r.text
    assert httpx.get(f"{url}/actions", headers=headers, timeout=10).status_code == 403
    assert audit_rows() == before


def test_rasa_with_the_secret_is_answered(action_server):
    url, _ = action_server
    r = httpx.post(f"{url}/webhook", json=forged_call(), headers={"X-Action-Token": TOKEN}, timeout=30)
    assert r.status_code == 200 and json.loads(r.text)["events"] is not None


def test_the_action_server_listens_on_localhost_only(action_server):
    _, port = action_server
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    ours = [line for line in listening.splitlines() if line.split()[3].endswith(f":{port}")]
    assert ours and all(line.split()[3] == f"127.0.0.1:{port}" for line in ours), ours
