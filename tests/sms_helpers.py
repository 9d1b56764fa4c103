"""Twilio test doubles that are real where it matters: requests signed by the twilio
library's own validator, and a local HTTP server standing in for Twilio's REST API."""

from __future__ import annotations

import itertools

from twilio.request_validator import RequestValidator

from bot.servers import FakeTwilio  # noqa: F401  (the tests' Twilio, shared with bench-load)

AUTH_TOKEN = "test-auth-token-not-a-real-one"
ACCOUNT_SID = "ACtest"
PUBLIC_BASE = "https://assistant.example.org"
PATH = "/webhooks/twilio/sms"
_sids = itertools.count(1)


def sms_env(monkeypatch, **extra) -> None:
    for key, value in {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_FROM_NUMBER": "+15550001111",
        "PUBLIC_BASE_URL": PUBLIC_BASE,
        "SMS_ID_KEY": "test-id-key",
        **extra,
    }.items():
        monkeypatch.setenv(key, value)


def signed(body: str, phone: str = "+15595550123", sid: str = None, token: str = AUTH_TOKEN):
    params = {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "From": phone,
        "To": "+15550001111",
        "Body": body,
        "AccountSid": ACCOUNT_SID,
    }
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE + PATH, params)
    return params, {"X-Twilio-Signature": signature}


def texts_of(twiml: str) -> list[str]:
    import xml.etree.ElementTree as ET

    return [m.text or "" for m in ET.fromstring(twiml).iter("Message")]
