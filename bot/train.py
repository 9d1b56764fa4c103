"""Train the assistant if its data changed (Rasa compares fingerprints and skips
retraining when nothing did). The model is models/current.tar.gz."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"


def rasa_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def rasa_cmd(*args: str) -> list:
    return [str(Path(sys.executable).with_name("rasa")), *args]


def train() -> Path:
    subprocess.run(rasa_cmd("train", "--fixed-model-name", "current", "--out", str(MODEL.parent)),
                   cwd=ROOT, env=rasa_env(), check=True)
    return MODEL


if __name__ == "__main__":
    train()
