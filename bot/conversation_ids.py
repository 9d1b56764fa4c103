"""The IDs conversations are kept under: keyed hashes of a texting member's number or a
web chat's session token, never the number or the token itself."""

from __future__ import annotations

import hashlib
import hmac

from bot.settings import get_settings


def keyed_id(prefix: str, value: str, key: str) -> str:
    return f"{prefix}-" + hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def sms_id(phone: str, key: str | None = None) -> str:
    """A texting member's conversation (and where their texts and opt-out are kept)."""
    return keyed_id("sms", phone, key if key is not None else get_settings().sms_conversation_key)


def web_id(token: str) -> str:
    """A web chat's conversation."""
    return keyed_id("web", token, get_settings().web_conversation_key)
