"""Train the assistant if its data changed (Rasa compares fingerprints and skips
retraining when nothing did). The model is models/current.tar.gz."""
from __future__ import annotations

import subprocess
from pathlib import Path

from bot.runtime import rasa_cmd, service_env
from bot.store.db import ROOT

MODEL = ROOT / "models" / "current.tar.gz"


def train() -> Path:
    subprocess.run(rasa_cmd("train", "--fixed-model-name", "current", "--out", str(MODEL.parent)),
                   cwd=ROOT, env=service_env(), check=True)
    return MODEL


if __name__ == "__main__":
    train()
