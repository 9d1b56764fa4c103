"""Run the real assistant for end-to-end tests: the trained model, the Rasa server
with its REST channel and the action server, on free local ports and a temporary
database. Logs are kept so tests can check what they contain. The servers themselves
are started by bot/servers.py (the load benchmark starts them the same way)."""

from __future__ import annotations

from pathlib import Path

from bot.servers import Assistant, free_port
from bot.servers import start as start_servers
from bot.train import MODEL, train

__all__ = ["Assistant", "free_port", "start", "start_on_sqlite"]


def start(
    workdir: Path, database_url: str, tracker_url: str = None, extra_env: dict = None, token: str = None
) -> Assistant:
    if not MODEL.exists():
        train()
    # Member-services hours follow the clock; tests say whether agents are on duty.
    return start_servers(
        workdir,
        database_url,
        MODEL,
        tracker_url=tracker_url,
        extra_env={"MEMBER_SERVICES_HOURS": "never", **(extra_env or {})},
        token=token,
    )


def start_on_sqlite(workdir: Path, name: str, **options) -> Assistant:
    """The assistant on a new SQLite database of its own, migrated, with the demo roster."""
    from bot.members import seed_demo_roster
    from bot.store import migrate

    url = f"sqlite:///{workdir / f'{name}.db'}"
    migrate(url)
    seed_demo_roster(url)
    return start(workdir, url, **options)
