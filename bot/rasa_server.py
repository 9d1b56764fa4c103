"""`python -m bot.rasa_server run ...`: Rasa's own command line, with these changes made
first, each doing what Rasa did at a fraction of the cost:

- Rasa checks every action server answer with `jsonschema.validate`, which checks the
  (large) events schema itself again and builds a new validator on every call: about a
  third of Rasa's CPU under load. Here the validator is built once; the schema, the
  checks and the error raised are the same.
- TED and memoization run only when their answer could be chosen
  (bot/deferred_policies.py).
- Rasa opens a new HTTP session, and so a new connection, for every call to the action
  server. Here each endpoint keeps one session per event loop, its connections kept
  alive for less time than the action server keeps them (Sanic: 5 s), so a connection
  is never reused as the server closes it; the body is written by ujson (the same JSON,
  in half the time of the standard library's, for a whole conversation on every call).
- Rasa finds an event's class from its name by walking every Event subclass, for every
  event it reads. Here each name is looked up once."""

from __future__ import annotations

import asyncio
import sys
from functools import cache, lru_cache
from types import TracebackType
from typing import Any

import aiohttp
import rasa.core.processor
import ujson
from jsonschema import exceptions, validators
from rasa.__main__ import main
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.deferred_policies import DeferringGraphRunner

KEEP_ALIVE_S = 2.0  # under the action server's keep-alive (Sanic's default, 5 s)


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


class _Kept:
    """`async with endpoint.session() as s` without closing the session at the end."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None


def kept_session(self: EndpointConfig) -> _Kept:
    """Rasa's EndpointConfig.session (same headers, auth and timeout), one per loop."""
    kept: dict[int, aiohttp.ClientSession] = self.__dict__.setdefault("_kept_sessions", {})
    loop = id(asyncio.get_running_loop())
    session = kept.get(loop)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = kept[loop] = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_S),
            json_serialize=ujson.dumps,
        )
    return _Kept(session)


_RASA_RESOLVE_BY_TYPE = Event.resolve_by_type


@cache
def _event_class(type_name: str) -> Any:
    return _RASA_RESOLVE_BY_TYPE(type_name)  # an unknown name raises: nothing is kept


def resolve_by_type(type_name: str, default: Any = None) -> Any:
    """Rasa's Event.resolve_by_type, each known name looked up once."""
    try:
        return _event_class(type_name)
    except ValueError:
        return _RASA_RESOLVE_BY_TYPE(type_name, default)


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    rasa.core.processor.DaskGraphRunner = DeferringGraphRunner
    EndpointConfig.session = kept_session
    Event.resolve_by_type = staticmethod(resolve_by_type)


if __name__ == "__main__":
    install()
    sys.exit(main())
