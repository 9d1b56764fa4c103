"""Twilio test doubles that are real where it matters: requests signed by the twilio
library's own validator, and a local HTTP server standing in for Twilio's REST API."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

from twilio.request_validator import RequestValidator

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


class FakeTwilio:
    """Records POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio would receive them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                fake.sent.append({"path": self.path, **form})
                body = json.dumps(
                    {"sid": "SMfake", "status": "queued", "to": form.get("To"), "body": form.get("Body")}
                ).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
