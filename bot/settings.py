"""Everything the product can be configured with, in one typed object.

This is the one module that reads the environment. Every other part asks
`get_settings()` and receives the same validated, read-only object; processes the
product starts get their environment from `inherited_environment()` (through
bot/runtime.py). The README's "Settings" section lists the same names and defaults.

    variable                        default
    DATABASE_URL                    sqlite:///<repository>/var/second_opinion.db
    TRACKER_STORE_URL               the PostgreSQL database of DATABASE_URL, else sqlite:///<repository>/var/tracker.db
    REDIS_URL                       unset: one process of each kind, sessions and locks in memory
    REDIS_PREFIX                    so:
    APP_DB_POOL_SIZE                5
    APP_DB_MAX_OVERFLOW             5
    SQL_POOL_SIZE                   20   (read by Rasa's tracker store)
    SQL_MAX_OVERFLOW                10   (read by Rasa's tracker store)
    TRACKER_RETENTION_DAYS          30
    POLICIES_KB                     <repository>/policies_kb
    POLICY_SEEDS                    <POLICIES_KB>/sources
    MEMBER_SERVICES_HOURS           unset: the plans' hours; "always" or "never" overrides them
    HANDOFF_CLAIM_TIMEOUT_SECONDS   unset: claim_timeout_minutes of policies_kb/member_services.yml
    HANDOFF_SWEEP_SECONDS           15
    STAFF_API_TOKEN                 unset (every API call refused)
    STAFF_API_TOKENS                unset ("alice=token1,bob=token2")
    PUBLIC_BASE_URL                 unset
    TRUSTED_PROXIES                 unset ("10.0.0.2,10.0.0.3")
    WEB_ID_KEY                      SMS_ID_KEY, else the word "web"
    SMS_ID_KEY                      TWILIO_AUTH_TOKEN
    TWILIO_AUTH_TOKEN               unset (every SMS webhook refused)
    TWILIO_ACCOUNT_SID              unset
    TWILIO_FROM_NUMBER              unset
    TWILIO_API_BASE                 unset: Twilio's own address
    SMS_REPLY_TIMEOUT               10
    SMS_OUTBOX_POLL_SECONDS         1
    SMS_SEND_ATTEMPTS               6
    RASA_URL                        http://127.0.0.1:5005
    RASA_TOKEN                      unset
    DEMO_DATA                       0
    ACTION_SERVER_TOKEN             unset (bot/runtime.py makes one for the processes it starts)
    ACTION_SERVER_HOST              127.0.0.1

The object is built on first use and kept. It is built again only when the process's
own environment has changed since (tests and the member simulator configure a gateway
they run in process through the environment, as an operator would); nothing in the
product changes the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseSettings, Field, validator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'second_opinion.db'}"
DEFAULT_TRACKER_STORE_URL = f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def normalized_database_url(url: str | None) -> str:
    """A database URL as SQLAlchemy 1.4 takes it: unset or empty is the SQLite default,
    and Heroku-style "postgres://" is "postgresql://"."""
    url = url or DEFAULT_DATABASE_URL
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


class Settings(BaseSettings):
    """Each field's environment variable is its name in capitals (`env`)."""

    # -- where records and conversations are kept --------------------------------------
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        env="DATABASE_URL",
        repr=False,
        description="The records' database (requests, members, handoffs, audit). Empty counts as unset.",
    )
    tracker_store_url: str | None = Field(
        None,
        env="TRACKER_STORE_URL",
        repr=False,
        description="Rasa's conversations. Unset: the PostgreSQL database of DATABASE_URL, else var/tracker.db.",
    )
    redis_url: str = Field(
        "",
        env="REDIS_URL",
        repr=False,
        description="Redis, to run more than one of each process: web chat sessions, live delivery across "
        "gateway workers, Rasa's lock store. Unset: one process each, all in memory.",
    )
    redis_prefix: str = Field(
        "so:",
        env="REDIS_PREFIX",
        description="Start of this deployment's Redis keys and live channel (pub/sub ignores the database "
        "number: two deployments on one Redis need different prefixes).",
    )
    app_db_pool_size: int = Field(
        5, env="APP_DB_POOL_SIZE", description="Pooled connections of the gateway and the action server (PostgreSQL)."
    )
    app_db_max_overflow: int = Field(
        5, env="APP_DB_MAX_OVERFLOW", description="Connections above the pool they may open at busy moments."
    )
    sql_pool_size: int = Field(
        20,
        env="SQL_POOL_SIZE",
        description="Rasa's tracker-store pool (Rasa reads it; set for Rasa by bot/runtime.py).",
    )
    sql_max_overflow: int = Field(
        10, env="SQL_MAX_OVERFLOW", description="Rasa's tracker-store overflow (as SQL_POOL_SIZE)."
    )
    tracker_retention_days: int = Field(
        30, env="TRACKER_RETENTION_DAYS", description="Conversation events older than this are purged."
    )

    # -- the plans' rules ---------------------------------------------------------------
    policies_kb: Path = Field(
        ROOT / "policies_kb",
        env="POLICIES_KB",
        description="The folder of plan rules, each fact with its source and quote.",
    )
    policy_seeds: Path | None = Field(
        None, env="POLICY_SEEDS", description="The policies the quotes are checked against. Unset: POLICIES_KB/sources."
    )

    # -- people: member services ------------------------------------------------------------
    member_services_hours: str = Field(
        "",
        env="MEMBER_SERVICES_HOURS",
        description='"always" or "never" overrides the plans\' member-services hours (demo, tests).',
    )
    handoff_claim_timeout_seconds: float | None = Field(
        None,
        env="HANDOFF_CLAIM_TIMEOUT_SECONDS",
        description="How long a handoff waits for an agent. Unset: claim_timeout_minutes in policies_kb.",
    )
    handoff_sweep_seconds: float = Field(
        15, env="HANDOFF_SWEEP_SECONDS", description="How often the gateway looks for handoffs nobody claimed."
    )

    # -- the gateway --------------------------------------------------------------------------
    staff_api_token: str = Field(
        "",
        env="STAFF_API_TOKEN",
        repr=False,
        description='The member-services API token (actor "staff"). Unset: every call 401.',
    )
    staff_api_tokens: str = Field(
        "",
        env="STAFF_API_TOKENS",
        repr=False,
        description='More tokens, named for the audit log: "alice=token1,bob=token2".',
    )
    public_base_url: str = Field(
        "",
        env="PUBLIC_BASE_URL",
        description="The public address as Twilio calls it; https here makes console cookies secure.",
    )
    trusted_proxies: str = Field(
        "", env="TRUSTED_PROXIES", description="Addresses whose X-Forwarded-Proto is believed, comma-separated."
    )
    web_id_key: str = Field(
        "", env="WEB_ID_KEY", repr=False, description='Key of the hash naming web chats. Unset: SMS_ID_KEY, else "web".'
    )
    sms_id_key: str = Field(
        "",
        env="SMS_ID_KEY",
        repr=False,
        description="Key of the hash naming texting members. Unset: TWILIO_AUTH_TOKEN.",
    )
    twilio_auth_token: str = Field(
        "",
        env="TWILIO_AUTH_TOKEN",
        repr=False,
        description="Checks Twilio's signatures and sends texts. Unset: every webhook 403.",
    )
    twilio_account_sid: str = Field("", env="TWILIO_ACCOUNT_SID", description="The Twilio account that sends texts.")
    twilio_from_number: str = Field("", env="TWILIO_FROM_NUMBER", description="The number texts come from (E.164).")
    twilio_api_base: str = Field(
        "", env="TWILIO_API_BASE", description="Another address for Twilio's REST API (tests' fake Twilio)."
    )
    sms_reply_timeout: float = Field(
        10,
        env="SMS_REPLY_TIMEOUT",
        description="Seconds a reply may take to go back in the webhook's answer; later ones are sent as texts.",
    )
    sms_outbox_poll_seconds: float = Field(
        1.0,
        env="SMS_OUTBOX_POLL_SECONDS",
        description="How often a gateway worker looks for texts other workers queued or that are due a retry.",
    )
    sms_send_attempts: int = Field(
        6, env="SMS_SEND_ATTEMPTS", description="Tries of a text before it is given up on (backoff from 5 s)."
    )
    rasa_url: str = Field(
        "http://127.0.0.1:5005",
        env="RASA_URL",
        description="Where the gateway reaches Rasa (REST channel and HTTP API). Several, comma-separated: "
        "each conversation goes to one, chosen by a stable hash of its ID, and to the next when that one is down.",
    )
    rasa_token: str = Field(
        "",
        env="RASA_TOKEN",
        repr=False,
        description="Token of Rasa's HTTP API, to hand a conversation back to the assistant.",
    )
    demo_data: str = Field(
        "0", env="DEMO_DATA", description='"1": the gateway loads the fictional demo members and agents at start.'
    )

    # -- the action server --------------------------------------------------------------------
    action_server_token: str = Field(
        "",
        env="ACTION_SERVER_TOKEN",
        repr=False,
        description="The secret Rasa sends the action server. Unset: the action server "
        "refuses to start (bot/runtime.py makes one for what it starts).",
    )
    action_server_host: str = Field(
        "127.0.0.1", env="ACTION_SERVER_HOST", description="The address the action server listens on."
    )

    # Secrets, and URLs that may hold a password, are left out of the object's repr.

    class Config:
        case_sensitive = True  # exactly the names above
        allow_mutation = False  # read once; nothing changes it while running

    @validator("tracker_store_url", "handoff_claim_timeout_seconds", "policy_seeds", pre=True)
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @validator("database_url", pre=True, always=True)
    def _database_url(cls, value: str | None) -> str:
        return normalized_database_url(value)

    @validator("member_services_hours", pre=True)
    def _hours(cls, value: Any) -> str:
        return str(value or "").strip().lower()

    @validator("policy_seeds", always=True)
    def _seeds(cls, value: Path | None, values: dict[str, Any]) -> Path:
        return value if value is not None else Path(values.get("policies_kb", ROOT / "policies_kb")) / "sources"

    @property
    def demo(self) -> bool:
        return self.demo_data == "1"

    @property
    def sms_conversation_key(self) -> str:
        return self.sms_id_key or self.twilio_auth_token

    @property
    def web_conversation_key(self) -> str:
        return self.web_id_key or self.sms_id_key or "web"

    @property
    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @property
    def rasa_base_urls(self) -> tuple[str, ...]:
        return tuple(u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip())

    @property
    def public_base(self) -> str:
        return self.public_base_url.rstrip("/")


# Environment variable -> field, for every setting.
FIELD_OF: dict[str, str] = {
    name: key for key, field in Settings.__fields__.items() for name in field.field_info.extra["env_names"]
}
ENVIRONMENT_NAMES: tuple[str, ...] = tuple(sorted(FIELD_OF))


def get_settings() -> Settings:
    """The product's settings (see the module's docstring)."""
    return _settings_for(tuple(os.environ.get(name) for name in ENVIRONMENT_NAMES))


@lru_cache(maxsize=1)
def _settings_for(environment: tuple[str | None, ...]) -> Settings:
    return Settings.parse_obj(
        {FIELD_OF[name]: value for name, value in zip(ENVIRONMENT_NAMES, environment, strict=True) if value is not None}
    )


def inherited_environment() -> dict[str, str]:
    """The whole environment of this process, which the processes it starts inherit
    (bot/runtime.py adds the product's own defaults to it)."""
    return dict(os.environ)
