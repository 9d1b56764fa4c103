"""Headers every gateway response carries, and a cap on request bodies.

Installed outermost (around Starlette's own error handling), so a 500 carries the
headers too. Pages may load scripts and styles only from this origin: no inline
script, no inline style, nothing from a CDN.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
MAX_BODY = 64 * 1024


def _private(path: str) -> bool:
    """Pages and answers that hold member or staff data: never stored by a cache."""
    return path.startswith("/console") or path == "/api" or path.startswith("/api/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _private(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(HEADERS)
                if private:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        length = Headers(scope=scope).get("content-length", "")
        if length.isdecimal() and int(length) > MAX_BODY:
            await JSONResponse({"detail": "Request body too large"}, 413)(scope, receive, send_with_headers)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:  # a body sent without its length
                raise HTTPException(413, "Request body too large")
            return message

        await self.app(scope, limited_receive, send_with_headers)


def _allowed_methods(app: FastAPI, scope: Scope) -> str:
    """Every method some route serves at this path (Starlette names only the first's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, Route) and route.methods:  # the routes that have methods
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


async def _body_not_json(request: Request, exc: Exception) -> JSONResponse:
    """A body that is not JSON is a validation error like any other: 422, as documented."""
    assert isinstance(exc, StarletteHTTPException)  # the only exception it is installed for
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": "the body is not valid JSON", "type": "value_error.jsondecode"}]}, 422
        )
    response = JSONResponse({"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None))
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request.app, request.scope)
    return response


def install(app: FastAPI) -> None:
    """Around the whole stack, Starlette's ServerErrorMiddleware included."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]  # wrapped on purpose
    app.add_exception_handler(StarletteHTTPException, _body_not_json)
