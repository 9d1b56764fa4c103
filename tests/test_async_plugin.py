"""The action tests are async: prove the plugin really runs them, so a failing async
test fails instead of being skipped unawaited."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_failing_async_test_fails(tmp_path):
    (tmp_path / "test_probe.py").write_text("async def test_probe():\n    assert False, 'ran'\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-c",
            str(ROOT / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_probe.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout and "AssertionError: ran" in done.stdout


async def test_this_async_test_really_runs():
    import asyncio

    await asyncio.sleep(0)
    assert asyncio.get_running_loop() is not None
