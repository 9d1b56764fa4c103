"""Settings: one typed object read from the environment in bot/settings.py alone, each
setting documented with its default there and in the README."""

import os
import re
from pathlib import Path

import pytest

import bot.settings
from bot.runtime import service_env, tracker_store_url
from bot.settings import DEFAULT_DATABASE_URL, DEFAULT_TRACKER_STORE_URL, ENVIRONMENT_NAMES, ROOT, get_settings

SOURCES = [p for folder in ("bot", "actions") for p in sorted((ROOT / folder).rglob("*.py"))]


@pytest.fixture
def clean(monkeypatch):
    for name in ENVIRONMENT_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_only_bot_settings_reads_the_environment():
    readers = [
        str(p.relative_to(ROOT))
        for p in SOURCES
        if re.search(r"os\.environ|getenv|from os import environ", p.read_text(encoding="utf-8"))
    ]
    assert readers == ["bot/settings.py"]


def test_every_setting_is_documented_with_its_default_in_the_module_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docstring = bot.settings.__doc__
    for name in ENVIRONMENT_NAMES:
        assert re.search(rf"^\s+{name}\s+\S", docstring, re.M), f"{name} is not in bot/settings.py's list"
        assert f"`{name}`" in readme, f"{name} is not in the README's Settings section"


def test_defaults(clean):
    s = get_settings()
    assert s.database_url == DEFAULT_DATABASE_URL and s.tracker_store_url is None
    assert (s.app_db_pool_size, s.app_db_max_overflow, s.sql_pool_size, s.sql_max_overflow) == (5, 5, 20, 10)
    assert s.tracker_retention_days == 30 and s.handoff_sweep_seconds == 15 and s.sms_reply_timeout == 10
    assert s.policies_kb == ROOT / "policies_kb" and s.policy_seeds == ROOT / "policies_kb" / "sources"
    assert s.member_services_hours == "" and s.handoff_claim_timeout_seconds is None
    assert s.rasa_base_urls == ("http://127.0.0.1:5005",) and s.action_server_host == "127.0.0.1"
    assert s.web_conversation_key == "web" and not s.demo
    assert tracker_store_url(s) == DEFAULT_TRACKER_STORE_URL


def test_values_as_the_environment_gives_them(clean):
    clean.setenv("DATABASE_URL", "postgres://db.example/records")
    clean.setenv("HANDOFF_CLAIM_TIMEOUT_SECONDS", "")
    clean.setenv("MEMBER_SERVICES_HOURS", " Always ")
    clean.setenv("POLICIES_KB", "/srv/kb")
    clean.setenv("SMS_ID_KEY", "sms-key")
    clean.setenv("TRUSTED_PROXIES", "10.0.0.2, 10.0.0.3,")
    clean.setenv("DEMO_DATA", "1")
    s = get_settings()
    assert s.database_url == "postgresql://db.example/records"
    assert tracker_store_url(s) == "postgresql://db.example/records"
    assert s.handoff_claim_timeout_seconds is None and s.member_services_hours == "always"
    assert s.policy_seeds == Path("/srv/kb/sources")
    assert s.web_conversation_key == "sms-key" and s.sms_conversation_key == "sms-key"
    assert s.trusted_proxy_addresses == {"10.0.0.2", "10.0.0.3"} and s.demo


def test_read_once_and_never_changed(clean):
    first = get_settings()
    assert get_settings() is first
    with pytest.raises(TypeError):
        first.rasa_url = "http://elsewhere"
    clean.setenv("RASA_URL", "http://127.0.0.1:5999/")
    assert get_settings() is not first and get_settings().rasa_base_urls == ("http://127.0.0.1:5999",)


def test_secrets_stay_out_of_its_repr(clean):
    clean.setenv("STAFF_API_TOKEN", "a-secret-token")
    clean.setenv("DATABASE_URL", "postgresql://user:a-secret-password@db/records")
    assert "a-secret" not in repr(get_settings()) and "a-secret" not in str(get_settings())


def test_a_child_process_environment_leaves_this_one_alone(clean):
    before = dict(os.environ)
    env = service_env({"DATABASE_URL": "postgresql://db.example/records"})
    assert dict(os.environ) == before
    assert env["TRACKER_STORE_URL"] == "postgresql://db.example/records"
    assert env["SQL_POOL_SIZE"] == "20" and env["APP_DB_POOL_SIZE"] == "5" and env["ACTION_SERVER_TOKEN"]
    assert service_env({"DATABASE_URL": "sqlite:///x.db"})["TRACKER_STORE_URL"] == DEFAULT_TRACKER_STORE_URL
