"""Rasa's own checks: the training data validates without warnings, and the
conversation test stories (tests/test_stories_*.yml) run on the trained model
with no prediction error."""

import subprocess

import pytest

from bot.runtime import rasa_cmd, service_env
from bot.train import ROOT

pytestmark = pytest.mark.slow


def _rasa(*args, timeout=900):
    return subprocess.run(rasa_cmd(*args), cwd=ROOT, env=service_env(), capture_output=True, text=True, timeout=timeout)


def test_data_validates_with_no_warnings():
    done = _rasa("data", "validate", "--fail-on-warnings")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_conversation_stories_pass(trained_model, tmp_path):
    done = _rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/conversations/",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path / "results"),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "Finished evaluation" in done.stdout + done.stderr or (tmp_path / "results").exists()
