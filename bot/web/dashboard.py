"""The supervisors' dashboard in the agent console, at /console/dashboard: the figures of
bot/reports.py as server-drawn SVG charts, each followed by its data table, each number
linking to the list it counts (with a CSV export), and the same figures and lists as
JSON under /console/dashboard/api/. Supervisors only (the agent's role): anyone else
gets 403, on every page and answer. Every view, list, export and refusal is audited.

The page refreshes its figures like the queue does (static/console.js): when the queue
changes and every 30 seconds; those refreshes are not audited again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

from bot import agents, reports
from bot.agents import ConsoleSession
from bot.deadlines import to_pacific
from bot.reports import Figure, ListKind
from bot.web import live
from bot.web.console import COOKIE, audit_access, language_label, plan_name, render_page, signed_in

router = APIRouter(prefix="/console/dashboard", include_in_schema=False)
API = "/console/dashboard/api/"
CHART_WIDTH, LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT = 640, 300, 280, 28
OUTCOME_LABELS = {"contained": "Contained", "handed_off": "Handed off", "abandoned": "Abandoned"}


class NotSupervisor(Exception):
    pass


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(NotSupervisor, _refused)


def _refused(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(API):
        return JSONResponse({"detail": "Supervisors only"}, status_code=403)
    return HTMLResponse(
        "<!doctype html><html lang='en'><title>Supervisors only</title><p>The dashboard is for supervisors. "
        "<a href='/console'>Back to the queue</a></p></html>",
        status_code=403,
    )


def _supervisor(request: Request) -> ConsoleSession:
    """The signed-in supervisor; a signed-out page goes to sign-in, an API call gets 401,
    anyone else 403 (audited)."""
    if request.url.path.startswith(API):
        console = agents.session_for(request.cookies.get(COOKIE))
        if console is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED)
    else:
        console = signed_in(request)
    if not console.agent.is_supervisor:
        audit_access(console, "refused", "dashboard", None, request.url.path)
        raise NotSupervisor()
    return console


# -- how values read ----------------------------------------------------------------------


def link(figure: Figure) -> str:
    return list_url(figure.list_name, figure.filters)


def list_url(name: str, filters: dict[str, str], suffix: str = "") -> str:
    query = urlencode(filters)
    return f"/console/dashboard/lists/{name}{suffix}" + (f"?{query}" if query else "")


def cell(key: str, value: Any, for_csv: bool = False) -> str:
    """A value as the console shows it (times in Pacific)."""
    if isinstance(value, datetime):
        return to_pacific(value).strftime("%Y-%m-%d %H:%M" if for_csv else "%b %-d, %-I:%M %p")
    if value is None or value == "":
        return "Plan not known yet" if key == "plan" else ""
    label = LABELS.get(key)
    return label(str(value)) if label else str(value)


def spaced(word: str) -> str:
    """A stored word as people read it: a status, or a form's question by its slot
    (in_review: "in review", member_id: "member id")."""
    return word.replace("_", " ")


LABELS: dict[str, Callable[[str], str]] = {
    "plan": plan_name,
    "reason": lambda v: live.REASON_LABELS.get(v, v),
    "language": language_label,
    "question": spaced,
    "outcome": lambda v: OUTCOME_LABELS.get(v, v),
    "status": spaced,
}


def chart(figures: list[Figure], key: str) -> list[dict[str, Any]]:
    """Bars of a chart: each figure's label as `key` reads, its count, its list, its length."""
    top = max((f.count for f in figures), default=0)
    return [
        {
            "label": cell(key, f.label),
            "count": f.count,
            "href": link(f),
            "width": round(BAR_WIDTH * f.count / top) if top else 0,
            "y": i * ROW_HEIGHT,
        }
        for i, f in enumerate(figures)
    ]


def _context() -> dict[str, Any]:
    figures = reports.dashboard()
    overdue = [fs[1] for fs in figures["decisions_due"].values()]
    return {
        "figs": figures,
        "defs": reports.definitions(),
        "grievance_sources": reports.grievance_deadline_sources(),
        "link": link,
        "cell": cell,
        "overdue_chart": chart(
            [
                Figure(p, f.count, f.list_name, f.filters)
                for p, f in zip(figures["decisions_due"], overdue, strict=True)
            ],
            "plan",
        ),
        "outcome_chart": chart(figures["conversation_outcomes"]["outcomes"], "outcome"),
        "reason_chart": chart(figures["conversation_outcomes"]["handed_off_by_reason"], "reason"),
        "question_chart": chart(figures["conversation_outcomes"]["abandoned_by_question"], "question"),
        "language_chart": chart(figures["language_mix"]["requests_this_week"], "language"),
        "chart_size": {"width": CHART_WIDTH, "label": LABEL_WIDTH, "row": ROW_HEIGHT},
    }


# -- pages ------------------------------------------------------------------------------


@router.get("")
def dashboard_page(request: Request) -> Response:
    console = _supervisor(request)
    audit_access(console, "read", "dashboard", None)
    return render_page(request, "dashboard.html", console, **_context())


@router.get("/figures.part")
def dashboard_part(request: Request) -> Response:
    console = _supervisor(request)
    return render_page(request, "_dashboard_figures.html", console, **_context())


def _list_kind(name: str) -> ListKind:
    if name not in reports.LISTS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such list")
    return reports.LISTS[name]


def _listed(
    request: Request, console: ConsoleSession, name: str, action: str
) -> tuple[ListKind, dict[str, str], list[Any]]:
    """(the list, its filters, its rows), audited with the filters and how many rows."""
    kind = _list_kind(name)
    filters = reports.known_filters(name, dict(request.query_params))
    rows = reports.list_rows(name, filters)
    audit_access(console, action, "report", name, f"{urlencode(filters)} ({len(rows)} rows)")
    return kind, filters, rows


@router.get("/lists/{name}")
def list_page(request: Request, name: str) -> Response:
    console = _supervisor(request)
    kind, filters, rows = _listed(request, console, name, "list")
    return render_page(
        request,
        "dashboard_list.html",
        console,
        kind=kind,
        filters=filters,
        rows=rows,
        cell=cell,
        csv_url=list_url(name, filters, "/export.csv"),
    )


@router.get("/lists/{name}/export.csv")
def list_csv(request: Request, name: str) -> Response:
    console = _supervisor(request)
    kind, filters, rows = _listed(request, console, name, "export")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _, heading in kind.columns])
    for row in rows:
        writer.writerow([_csv_safe(cell(key, row[key], for_csv=True)) for key, _ in kind.columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _csv_safe(value: str) -> str:
    """No cell a spreadsheet would run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- JSON: the same functions -----------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Figure):
        return {**asdict(value), "list": link(value)}
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@router.get("/api/figures")
def figures_json(request: Request) -> Response:
    console = _supervisor(request)
    audit_access(console, "read", "dashboard", None, "json")
    return JSONResponse(_jsonable({**reports.dashboard(), "definitions": reports.definitions()}))


@router.get("/api/lists/{name}")
def list_json(request: Request, name: str) -> Response:
    console = _supervisor(request)
    kind, filters, rows = _listed(request, console, name, "list")
    return JSONResponse(_jsonable({"list": name, "title": kind.title, "filters": filters, "rows": rows}))
