"""`make lint` really checks types: mypy, with the project's own configuration
(pyproject.toml, strict), refuses a module that breaks a type, and accepts the same
module once it is right. `make lint` runs that same mypy (the Makefile's lint target)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
# Kept between runs (git-ignored): a warm run takes about a second.
CACHE = ROOT / ".mypy_cache" / "test_lint"

WELL_TYPED = """
def due_in(days: int) -> int:
    return days * 24
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy", reason="mypy comes with `make lint-venv` (requirements-lint.txt)")
    module = tmp_path / "checked_module.py"
    module.write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(CONFIG),
            "--cache-dir",
            str(CACHE),
            "--no-error-summary",
            str(module),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_config_refuses_a_broken_type(tmp_path: Path) -> None:
    result = _mypy(tmp_path, WELL_TYPED + 'hours: int = "a"\n')
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        'checked_module.py:4: error: Incompatible types in assignment (expression has type "str", '
        'variable has type "int")  [assignment]' in result.stdout
    ), result.stdout


def test_the_project_config_is_strict(tmp_path: Path) -> None:
    """strict = true: a function without annotations is refused too."""
    result = _mypy(tmp_path, WELL_TYPED + "def untyped(x):\n    return x\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Function is missing a type annotation  [no-untyped-def]" in result.stdout, result.stdout


def test_the_same_module_well_typed_passes(tmp_path: Path) -> None:
    result = _mypy(tmp_path, WELL_TYPED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_lint_runs_ruff_and_mypy_and_ci_runs_make_lint() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile.split("\nlint: ", 1)[1].split("\n\n", 1)[0]
    for command in ("ruff check", "ruff format --check", "/bin/mypy"):
        assert command in lint, command
    assert "make lint" in (ROOT / ".ci" / "run").read_text()
