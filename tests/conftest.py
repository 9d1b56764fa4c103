import os
import tempfile
from pathlib import Path

import pytest

# Every test process gets its own database unless a test sets one itself.
_TMP = Path(tempfile.mkdtemp(prefix="so-tests-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.db'}"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session", autouse=True)
def migrated_database():
    from bot.members import seed_demo_roster
    from bot.store import migrate

    migrate()
    seed_demo_roster()
    yield os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def trained_model():
    """Train (or reuse, when nothing changed) the model the conversation tests run."""
    from bot.train import train

    return train()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_databases():
    yield
    from tests.databases import drop_created

    drop_created()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    """A migrated database with the demo roster, on SQLite and on the local PostgreSQL;
    bot code in the test uses it through DATABASE_URL."""
    from bot.members import seed_demo_roster
    from bot.store import migrate
    from tests.databases import database_url_for

    url = database_url_for(request.param, tmp_path, "store")
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    seed_demo_roster(url)
    return url
