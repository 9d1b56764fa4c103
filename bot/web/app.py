"""The gateway's FastAPI app. `uvicorn bot.web.app:app --port 8000`."""
from __future__ import annotations

import os

from fastapi import FastAPI

from bot.web import api, records_api

DESCRIPTION = """Member-services API of the Second Opinion Assistant.

Every call needs `Authorization: Bearer <token>` (STAFF_API_TOKEN). Reads and
changes of a member's records are written to the audit log. Times are ISO 8601 with
offset (UTC); members are shown them in Pacific time."""


def create_app() -> FastAPI:
    app = FastAPI(title="Second Opinion Assistant", version="1.0", description=DESCRIPTION)
    app.include_router(api.router)
    app.include_router(records_api.router)

    @app.on_event("startup")
    def _demo_roster() -> None:
        if os.environ.get("DEMO_DATA", "0") == "1":
            from bot.members import seed_demo_roster
            seed_demo_roster()

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    return app


app = create_app()
