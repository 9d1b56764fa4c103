"""Rasa runs through bot.rasa_server: its check of action server answers uses one
validator built once, and accepts and rejects exactly what Rasa's own check does."""

import copy

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_server
from bot.runtime import rasa_cmd

RASA_OWN = RemoteAction._validate_action_result
ANSWERS = [
    {
        "events": [
            {"event": "slot", "name": "plan", "value": "khs", "timestamp": None},
            {"event": "active_loop", "name": "request_form"},
        ],
        "responses": [{"text": "hi"}],
    },
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": 3}]},
    {"events": [{"event": "bot", "text": "hi"}], "responses": "not a list"},
    {"events": "not a list"},
    {"events": [{"event": "followup"}]},
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_same_answers_pass_and_fail_with_the_same_message(answer):
    action = RemoteAction("action_x", None)

    def outcome(check):
        try:
            return check(action, copy.deepcopy(answer))
        except ValidationError as e:
            return e.message

    assert outcome(rasa_server.validate_action_result) == outcome(RASA_OWN)


def test_rasa_is_started_through_it():
    assert rasa_cmd("run")[-3:] == ["-m", "bot.rasa_server", "run"]


async def test_calls_to_the_action_server_share_one_kept_alive_connection_with_the_same_headers(monkeypatch):
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    seen = []

    async def answer(request):
        seen.append((request.transport.get_extra_info("peername")[1], request.headers.get("X-Action-Token")))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(EndpointConfig, "session", rasa_server.kept_session)
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Action-Token": "secret"})
    try:
        answers = [await endpoint.request(json={"next_action": "a"}, method="post") for _ in range(3)]
    finally:
        for session in endpoint._kept_sessions.values():
            await session.close()
        await runner.cleanup()
    assert answers == [{"events": [], "responses": []}] * 3
    assert [token for _, token in seen] == ["secret"] * 3
    assert len({client_port for client_port, _ in seen}) == 1  # one connection for the three calls


@pytest.mark.parametrize(
    "name", ["user", "slot", "action", "bot", "active_loop", "session_started", "topic", "nothing"]
)
def test_event_classes_are_found_as_rasa_finds_them(name):
    from rasa.shared.core.events import Event

    def outcome(resolve, *default):
        try:
            return resolve(name, *default)
        except ValueError as e:
            return str(e)

    for default in ((), (Event,)):
        assert outcome(rasa_server.resolve_by_type, *default) == outcome(rasa_server._RASA_RESOLVE_BY_TYPE, *default)
