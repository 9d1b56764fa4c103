"""Verification locks in the agent console, at /console/locks: the member IDs locked
after too many failed tries (bot.verification), and unlocking one, with a reason, by a
signed-in agent. Every view and unlock is audited as agent:<username>."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from bot import audit, members, verification
from bot.store import session_scope
from bot.web.console import checked_form, render_page, signed_in

router = APIRouter(prefix="/console/locks", include_in_schema=False)


def _back(**message: str) -> RedirectResponse:
    return RedirectResponse("/console/locks?" + urlencode(message), status_code=303)


@router.get("")
def locks_page(request: Request, notice: str = "", error: str = "") -> Response:
    console = signed_in(request)
    locks = verification.active_locks()
    with session_scope() as session:
        audit.record(
            session, f"agent:{console.agent.username}", "list", "verification_lock", None, f"{len(locks)} locked"
        )
    return render_page(
        request,
        "locks.html",
        console,
        locks=locks,
        notice=notice,
        error=error,
        max_failures=verification.MEMBER_MAX_FAILURES,
        window_hours=_hours(verification.FAILURE_WINDOW),
        lock_hours=_hours(verification.LOCK_PERIOD),
    )


def _hours(period: timedelta) -> int:
    return int(period.total_seconds() // 3600)


@router.post("/unlock")
async def unlock(request: Request) -> Response:
    console = signed_in(request)
    form = await checked_form(request, console.csrf_token)
    member_id = members.normalize_member_id(form.get("member_id", ""))
    try:
        lifted = verification.unlock(member_id, console.agent.username, form.get("reason", ""))
    except ValueError:
        return _back(error="Give the reason for unlocking (how you checked who the member is).")
    if not lifted:
        return _back(error=f"{member_id} is not locked.")
    return _back(notice=f"Unlocked {member_id}: the member can verify again.")
