"""When a decision is due: a plan's timeline turned into a date-time.

Times are stored in UTC and counted in Pacific time, where the plans work. Business
days skip weekends and California state holidays (Government Code 19853: the days
state offices close), computed by rule for any year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based) weekday (Mon=0) of a month; n=-1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def ca_state_holidays(year: int) -> dict[date, str]:
    """Observed California state holidays of a year (Gov. Code 19853 (a) and (b)):
    a holiday on a Sunday is observed the Monday after; Veterans Day on a Saturday is
    observed the Friday before. Other Saturday holidays fall on a non-business day."""
    fixed = {
        date(year, 1, 1): "New Year's Day",
        date(year, 3, 31): "Cesar Chavez Day",
        date(year, 7, 4): "Independence Day",
        date(year, 11, 11): "Veterans Day",
        date(year, 12, 25): "Christmas Day",
    }
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    days = {
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Presidents' Day",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        thanksgiving: "Thanksgiving Day",
        thanksgiving + timedelta(days=1): "Day after Thanksgiving",
    }
    for day, name in fixed.items():
        if day.weekday() == 6:
            day, name = day + timedelta(days=1), f"{name} (observed)"
        elif day.weekday() == 5 and name == "Veterans Day":
            day, name = day - timedelta(days=1), f"{name} (observed)"
        days[day] = name
    return days


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in ca_state_holidays(day.year)


def add_business_days(start: datetime, n: int) -> datetime:
    """The same Pacific clock time on the n-th business day after `start`'s day."""
    local = start.astimezone(PACIFIC)
    day, counted = local.date(), 0
    while counted < n:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return _at_local(day, local)


def _at_local(day: date, clock: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, clock.hour, clock.minute, clock.second, tzinfo=PACIFIC).astimezone(
        timezone.utc
    )


def due_at(received_at: datetime, unit: str | None, amount: int | None) -> datetime | None:
    """Due date-time (UTC) for a timeline, or None where the policy sets none.
    `unit` is one of bot.policy.TIMELINE_UNITS."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if unit is None:
        return None
    if unit not in ("hours", "calendar_days", "business_days"):
        raise ValueError(f"unknown timeline unit {unit!r}")
    if amount is None:  # policies_kb gives every timeline with a unit its number
        raise ValueError(f"a timeline in {unit} without its number")
    if unit == "hours":
        # Real elapsed hours: add in UTC (aware local datetimes add wall-clock time).
        due: datetime = received_at.astimezone(timezone.utc) + timedelta(hours=amount)
        return due
    if unit == "calendar_days":
        local = received_at.astimezone(PACIFIC)
        return _at_local(local.date() + timedelta(days=amount), local)
    return add_business_days(received_at, amount)  # business_days


def to_pacific(moment: datetime) -> datetime:
    return moment.astimezone(PACIFIC)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def pacific_today() -> date:
    """Today where the members are: what "yesterday" or "November 18" is counted from."""
    return to_pacific(utcnow()).date()
