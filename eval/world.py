"""The real assistant for the simulator: the trained model, Rasa and the action server
(tests/harness.py) on a fresh database, and the gateway (bot/web) in process, whose
Twilio webhook takes the texting members (signed as Twilio signs, tests/sms_helpers.py)
and whose member-services API reads the opened requests back. What the member said about
a text when there is news is read from the database itself (`consent`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot import verification
from bot.members import seed_demo_roster
from bot.store import engine_for, migrate, repository
from bot.store.models import SecondOpinionRequest
from eval.personas import Persona
from tests import harness
from tests.sms_helpers import PATH, FakeTwilio, signed, sms_env, texts_of

START_TRIES = 3  # the model may be retrained meanwhile: wait and try again


@dataclass
class World:
    assistant: harness.Assistant
    gateway: TestClient
    staff_token: str
    url: str  # the database's

    def sender(self, persona: Persona) -> Callable[[str], list[str]]:
        """How this member's messages reach the assistant: REST, or SMS through the gateway."""
        if persona.channel == "rest":
            return lambda message: self.assistant.send(f"sim-{persona.index}", message)
        return lambda message: self.text(persona.sms_phone, message)

    def text(self, phone: str, body: str) -> list[str]:
        params, headers = signed(body, phone=phone)
        r = self.gateway.post(PATH, data=params, headers=headers)
        r.raise_for_status()
        return texts_of(r.text)

    def request(self, reference: str) -> dict:
        r = self.gateway.get(f"/api/requests/{reference}", headers={"Authorization": f"Bearer {self.staff_token}"})
        r.raise_for_status()
        return r.json()

    def consent(self, reference: str) -> dict:
        """The answer to "a text when there is news?" as stored on the request."""
        with Session(engine_for(self.url)) as session:
            row = repository.by_reference(session, SecondOpinionRequest, reference)
            if row is None:
                raise LookupError(reference)
            return dict(
                notify_by_text=row.notify_by_text,
                notify_phone=row.notify_phone,
                notify_answered_at=row.notify_answered_at,
            )

    def unlock(self, member_id: str) -> None:
        """Members are independent: a lock one member's tries caused is lifted before the next."""
        verification.unlock(member_id, "member-simulator", "independent simulated members")


@contextmanager
def running(workdir: Path) -> Iterator[World]:
    url = f"sqlite:///{workdir / 'eval.db'}"
    migrate(url)
    seed_demo_roster(url)
    assistant = start(workdir, url)
    fake, token = FakeTwilio(), secrets.token_urlsafe(24)
    try:
        with pytest.MonkeyPatch.context() as env:
            sms_env(env, TWILIO_API_BASE=fake.url, SMS_REPLY_TIMEOUT="120")
            for key, value in {
                "DATABASE_URL": url,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
                "STAFF_API_TOKEN": token,
            }.items():
                env.setenv(key, value)
            from bot.web.app import create_app

            with TestClient(create_app()) as gateway:
                yield World(assistant, gateway, token, url)
    finally:
        assistant.stop()
        fake.close()


def start(workdir: Path, url: str) -> harness.Assistant:
    for attempt in range(1, START_TRIES + 1):
        try:
            return harness.start(workdir, url)
        except Exception:  # noqa: BLE001 (a model being retrained)
            if attempt == START_TRIES:
                raise
            time.sleep(60)
