"""What a member typed, made safe to hand to Rasa as plain text.

Rasa reads a message that starts with "/" (after its own strip()) as an intent with
entities: "/greet{...}". A member must never be able to send one, so every leading
slash goes, however many and whatever whitespace sits between them.
"""

from __future__ import annotations

MAX_TEXT = 10_000


def as_member_text(raw: object, limit: int = MAX_TEXT) -> str:
    text = str(raw or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
    while text.startswith("/"):
        text = text.lstrip("/").lstrip()
    return text[:limit].rstrip()
