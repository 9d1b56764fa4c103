"""The gateway's FastAPI app. `uvicorn bot.web.app:app --port 8000`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from bot import safety
from bot.agents import seed_demo_agents
from bot.members import seed_demo_roster
from bot.nlp import language
from bot.settings import get_settings
from bot.web import api, chat, console, dashboard, live, locks, outbox, records_api, security, shared_state, sms
from bot.web.assistant import Assistant, RasaAssistant
from bot.web.auth import staff_actor

STATIC = Path(__file__).resolve().parent / "static"

DESCRIPTION = """Member-services API of the Second Opinion Assistant.

Every call needs `Authorization: Bearer <token>` (STAFF_API_TOKEN), and so does this
schema at `/openapi.json`. Reads and changes of a member's records are written to the
audit log. Times are ISO 8601 with offset (UTC); members are shown them in Pacific time."""


def create_app(assistant: Assistant | None = None) -> FastAPI:
    """The gateway, talking to `assistant` (Rasa at RASA_URL unless another is given)."""
    app = FastAPI(
        title="Second Opinion Assistant",
        version="1.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.assistant = assistant or RasaAssistant()
    security.install(app)
    app.include_router(api.router)
    app.include_router(records_api.router)
    app.include_router(sms.router)
    app.include_router(chat.router)
    console.install(app)
    dashboard.install(app)
    app.include_router(locks.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(staff_actor)])
    def openapi_schema() -> dict[str, Any]:
        return app.openapi()

    @app.get("/", include_in_schema=False)
    def demo_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.on_event("startup")
    async def _sms_sender() -> None:
        outbox.start(app)

    @app.on_event("startup")
    async def _live_relay() -> None:
        await live.start_relay(app)  # with REDIS_URL: live messages from the other workers

    @app.on_event("startup")
    async def _safety_check() -> None:
        # Trained in the background: a member's message to a held chat need not wait for it.
        asyncio.get_running_loop().run_in_executor(None, safety.warm_up)

    @app.on_event("startup")
    async def _language_detector() -> None:
        # The first detection loads spaCy and lingua (seconds): not on a member's turn.
        asyncio.get_running_loop().run_in_executor(None, language.detect, "warm up the detector")

    @app.on_event("startup")
    def _demo_roster() -> None:
        if get_settings().demo:
            seed_demo_roster()
            seed_demo_agents()

    @app.on_event("shutdown")
    async def _close_redis() -> None:
        await live.stop_relay(app)
        await shared_state.close()

    @app.on_event("shutdown")
    async def _close_assistant_client() -> None:
        close = getattr(app.state.assistant, "aclose", None)
        if close is not None:
            await close()

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    return app


app = create_app()
