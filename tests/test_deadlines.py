"""Decision deadlines. Expected dates are worked out by hand on a calendar."""

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.deadlines import PACIFIC, ca_state_holidays, due_at, to_pacific


def pt(*args):
    return datetime(*args, tzinfo=PACIFIC)


@pytest.mark.parametrize(
    "year,expected",
    [
        (
            2026,
            {
                date(2026, 1, 1),
                date(2026, 1, 19),
                date(2026, 2, 16),
                date(2026, 3, 31),
                date(2026, 5, 25),
                date(2026, 7, 4),
                date(2026, 9, 7),
                date(2026, 11, 11),
                date(2026, 11, 26),
                date(2026, 11, 27),
                date(2026, 12, 25),
            },
        ),
        # 2023: Jan 1 is a Sunday -> Jan 2; Nov 11 is a Saturday -> Fri Nov 10.
        (
            2023,
            {
                date(2023, 1, 2),
                date(2023, 1, 16),
                date(2023, 2, 20),
                date(2023, 3, 31),
                date(2023, 5, 29),
                date(2023, 7, 4),
                date(2023, 9, 4),
                date(2023, 11, 10),
                date(2023, 11, 23),
                date(2023, 11, 24),
                date(2023, 12, 25),
            },
        ),
    ],
)
def test_state_holidays_by_rule(year, expected):
    assert set(ca_state_holidays(year)) == expected


def test_urgent_is_72_hours_even_across_dst():
    # DST ends Sun Nov 1 2026 at 2:00: 72 real hours later the wall clock reads 1 hour earlier.
    received = pt(2026, 10, 31, 10, 0)
    due = due_at(received, "hours", 72)
    assert due - received.astimezone(timezone.utc) == timedelta(hours=72)
    assert to_pacific(due).hour == 9 and to_pacific(due).day == 3


def test_seven_calendar_days_keeps_the_pacific_clock_across_dst():
    received = pt(2026, 3, 5, 15, 30)  # DST starts Mar 8
    due = to_pacific(due_at(received, "calendar_days", 7))
    assert (due.date(), due.hour, due.minute) == (date(2026, 3, 12), 15, 30)


def test_seven_calendar_days_over_year_end():
    due = to_pacific(due_at(pt(2026, 12, 28, 9, 0), "calendar_days", 7))
    assert due.date() == date(2027, 1, 4)


@pytest.mark.parametrize(
    "received,expected",
    [
        (pt(2026, 11, 23, 10, 0), date(2026, 12, 2)),  # Mon before Thanksgiving: skips Thu+Fri
        (pt(2026, 12, 23, 10, 0), date(2026, 12, 31)),  # skips Christmas Fri and the weekend
        (pt(2026, 12, 30, 10, 0), date(2027, 1, 7)),  # year end: skips Jan 1 2027 (Fri)
        (pt(2026, 11, 7, 10, 0), date(2026, 11, 16)),  # received Sat; skips Wed Nov 11 Veterans Day
        (pt(2028, 7, 1, 9, 0), date(2028, 7, 10)),  # Sat; Jul 4 2028 Tue
        (pt(2027, 12, 23, 9, 0), date(2027, 12, 30)),  # Dec 25 2027 is a Saturday: no weekday lost
    ],
)
def test_five_business_days(received, expected):
    assert to_pacific(due_at(received, "business_days", 5)).date() == expected


def test_no_timeline_means_no_due_date():
    assert due_at(pt(2026, 11, 23, 10, 0), None, None) is None


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        due_at(datetime(2026, 1, 1), "hours", 72)
