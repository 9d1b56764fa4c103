"""Train the assistant if its data changed (Rasa compares fingerprints and skips
retraining when nothing did). The model is models/current.tar.gz.

Rasa writes the model file again even when nothing changed, so it writes under a name
of this process's own and the file is then moved into place in one step: a server
that loads the model at that moment (another test run, `make run`) never reads half a file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.runtime import rasa_cmd, service_env
from bot.settings import ROOT

MODEL = ROOT / "models" / "current.tar.gz"


def train() -> Path:
    name = f"training-{os.getpid()}"
    subprocess.run(
        rasa_cmd("train", "--fixed-model-name", name, "--out", str(MODEL.parent)),
        cwd=ROOT,
        env=service_env(),
        check=True,
    )
    os.replace(MODEL.parent / f"{name}.tar.gz", MODEL)
    return MODEL


if __name__ == "__main__":
    train()
