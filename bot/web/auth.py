"""Staff authentication: `Authorization: Bearer <token>`.

Tokens come from the settings (bot/settings.py): STAFF_API_TOKEN (actor "staff"), and
optionally STAFF_API_TOKENS="alice=token1,bob=token2" so the audit log can say who. With
no token configured, every call is refused.
"""

from __future__ import annotations

import secrets

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.settings import get_settings

_bearer = HTTPBearer(auto_error=False)


def configured_tokens() -> dict[str, str]:
    """token -> actor name."""
    settings = get_settings()
    tokens: dict[str, str] = {}
    single = settings.staff_api_token.strip()
    if single:
        tokens[single] = "staff"
    for pair in filter(None, settings.staff_api_tokens.split(",")):
        name, _, token = pair.partition("=")
        if name.strip() and token.strip():
            tokens[token.strip()] = name.strip()
    return tokens


def _match(presented: str) -> str | None:
    found = None
    for token, actor in configured_tokens().items():
        if secrets.compare_digest(presented.encode(), token.encode()):
            found = actor
    return found


def staff_actor(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    """The staff member behind the call, or 401 with no detail."""
    actor = _match(credentials.credentials) if credentials and credentials.scheme.lower() == "bearer" else None
    if actor is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return f"api:{actor}"
