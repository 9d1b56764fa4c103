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
