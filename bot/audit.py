"""The audit log: who read or changed a member's records. Keys only, never details."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.deadlines import utcnow
from bot.store.models import AuditEntry


def record(
    session: Session, actor: str, action: str, entity: str, entity_key: str | None = None, detail: str | None = None
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor=actor[:100],
            action=action,
            entity=entity,
            entity_key=(entity_key or None) and entity_key[:64],
            detail=(detail or None) and detail[:200],
        )
    )
