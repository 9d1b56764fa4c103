"""The action server: rasa-sdk's app for the actions in actions/, listening on
127.0.0.1 unless ACTION_SERVER_HOST says otherwise, and running an action only for a
caller that sends the shared secret (ACTION_SERVER_TOKEN) in the header Rasa's
action_endpoint sends (endpoints.yml). Anything else gets 403 and nothing runs.

    python -m bot.action_server --port 5055
"""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk.endpoint import create_app as sdk_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = ("/health",)


def create_app(token: str) -> Sanic:
    if not token:
        raise SystemExit("ACTION_SERVER_TOKEN is not set: an action server without it would run anyone's calls")
    app: Sanic = sdk_app("actions", cors_origins=None)

    @app.middleware("request")  # type: ignore[no-untyped-call,untyped-decorator]  # Sanic 21.12 leaves middleware() unannotated
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "forbidden"}, status=403)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    settings = get_settings()
    app = create_app(settings.action_server_token)
    app.run(settings.action_server_host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
