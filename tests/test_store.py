"""Storage: migrations up from empty and down again; one request per confirmation."""
from sqlalchemy import create_engine, inspect

from bot.store.db import downgrade, migrate


def test_migrations_up_from_empty_and_down_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"   # the folder does not exist yet
    migrate(url)
    assert "second_opinion_requests" in inspect(create_engine(url)).get_table_names()
    downgrade(url)
    assert "second_opinion_requests" not in inspect(create_engine(url)).get_table_names()
