"""Members: the roster, and matching a member ID plus date of birth (the limits on
trying are in bot.verification)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml
from dateutil import parser as dateparser
from sqlalchemy.orm import Session

from bot.deadlines import utcnow
from bot.nlp.dates import MONTH_NAMES  # English names first, then Spanish
from bot.store import repository, session_scope
from bot.store.models import Member

DEMO_ROSTER = Path(__file__).resolve().parent / "store" / "demo_members.yml"
LANGUAGES = ("en", "es")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


# What a conversation keeps in place of a date of birth once it has been checked.
VERIFIED_MARKER = "verified"


@dataclass(frozen=True)
class MemberView:
    member_id: str
    first_name: str
    last_name: str
    dob: date
    plan: str
    phone: str | None
    language: str
    is_demo: bool


def _view(row: Member) -> MemberView:
    return MemberView(
        row.member_id, row.first_name, row.last_name, row.dob, row.plan, row.phone, row.language, bool(row.is_demo)
    )


def normalize_member_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text or "").upper()[:32]


FILLER_WORDS = {
    "umm",
    "hmm",
    "id",
    "no",
    "num",
    "nbr",
    "dob",
    "my",
    "member",
    "number",
    "is",
    "its",
    "it",
    "s",
    "the",
    "card",
    "plan",
    "i",
    "think",
    "um",
    "uh",
    "here",
    "ok",
    "okay",
    "sure",
    "mine",
    "medi",
    "cal",
    "medical",
    "and",
    "on",
    "says",
    "her",
    "his",
    "their",
}


# A member ID inside a sentence: letters then digits ("umm DEMO-1001 thats whats on my
# card", "KHS 778 899"), or digits alone ("id 12345678").
ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])(?:([A-Za-z]{1,6})[\s-]?)?(\d(?:[\s-]?\d){2,15})(?![A-Za-z0-9])")


def gives_identity(text: str) -> bool:
    """A member ID and a date of birth in one message ("DEMO1001 4/9/61"), whatever was asked."""
    dob_text = dob_in(text or "")
    return bool(dob_text and ID_IN_TEXT.search((text or "").replace(dob_text, " ")))


def find_member_id(text: str) -> str | None:
    """A member ID as typed: "KHS-778899", "demo 4004", "my id is KHS 778 899"."""
    for prefix, digits in ID_IN_TEXT.findall(text or ""):
        prefix = "" if prefix.lower() in FILLER_WORDS else prefix
        found = normalize_member_id(prefix + digits)
        if 4 <= len(found) <= 20:
            return found
    words = re.findall(r"[A-Za-z0-9]+", text or "")
    kept = normalize_member_id("".join(w for w in words if w.lower() not in FILLER_WORDS))
    if 4 <= len(kept) <= 20 and any(c.isdigit() for c in kept):
        return kept
    return None


# A date as people write it inside a longer message (4/9/61, April 9 1961, 9 de abril de 1961),
# never starting inside a word: in "DEMO4004 jan 30 1950" the date is not "04 jan 30".
DATE_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}"
    r"|[A-Za-zéá]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{2,4}"
    r"|\d{1,2}\s+(?:de\s+)?[A-Za-zéá]{3,10}\.?,?\s+(?:de\s+|del\s+)?\d{2,4})"
)


def dob_in(text: str) -> str | None:
    """The first date in a message that could be a date of birth: one people write
    (4/9/61) or any with a year of this or the last century."""
    return next(
        (
            m.group(0)
            for m in DATE_IN_TEXT.finditer(text or "")
            if parse_dob(m.group(0)) or re.search(r"\b(19|20)\d\d\b", m.group(0))
        ),
        None,
    )


NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")


def reads_both_ways(text: str) -> bool:
    """ "2/12/1975": December 2 to a Spanish speaker, February 12 to an English one."""
    m = NUMERIC_DATE.fullmatch((text or "").strip())
    return m is not None and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)


def parse_dob(text: str, today: date | None = None) -> date | None:
    """Dates as people write them: 4/9/61, 04-09-1961, April 9 1961, 1961-04-09.
    Month first (US) unless the first number cannot be a month ("14/3/1975", as Spanish
    speakers write it). A two-digit year is the most recent past one."""
    today = today or date.today()
    text = (text or "").strip()
    if not text or len(text) > 40:
        return None
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    if m:
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    m = NUMERIC_DATE.fullmatch(text)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        month, day = (second, first) if first > 12 >= second else (first, second)
        return _valid(_year(m.group(3), today), month, day, today)
    if not re.search(r"[a-zA-Z]", text) or not re.search(r"\d{2,4}\s*$", text):
        return None
    text = _month_in_english(text)
    try:
        parsed = dateparser.parse(text, fuzzy=False, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError):
        return None
    year = re.search(r"(\d{2,4})\s*$", text)
    assert year is not None  # the month's name was replaced, never the digits checked above
    year_text = year.group(1)
    return _valid(_year(year_text, today), parsed.month, parsed.day, today)


def _month_in_english(text: str) -> str:
    """ "30 de enero de 1950" as the date parser reads it: "30 january 1950"."""
    english = list(MONTH_NAMES)[:12]
    return " ".join(
        english[MONTH_NAMES[w.lower()] - 1] if w.lower() in MONTH_NAMES else w
        for w in text.split()
        if w.lower() not in ("de", "del")
    )


def _year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _valid(year: int, month: int, day: int, today: date) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if date(1900, 1, 1) <= found <= today else None


def verify(member_id: str, dob: date) -> MemberView | None:
    """The member if the ID and date of birth match one record, else None. Unlimited:
    the assistant tries through bot.verification.attempt instead."""
    with session_scope() as session:
        return matching(session, member_id, dob)


def matching(session: Session, member_id: str, dob: date | None) -> MemberView | None:
    row = _row(session, member_id)
    return _view(row) if row is not None and dob is not None and row.dob == dob else None


def _row(session: Session, member_id: str) -> Member | None:
    return repository.member(session, normalize_member_id(member_id))


def get(member_id: str) -> MemberView | None:
    with session_scope() as session:
        return lookup(session, member_id)


def lookup(session: Session, member_id: str) -> MemberView | None:
    row = _row(session, member_id)
    return _view(row) if row else None


def upsert(
    member_id: str,
    first_name: str,
    last_name: str,
    dob: date,
    plan: str,
    phone: str | None = None,
    language: str = "en",
    is_demo: bool = False,
    database_url: str | None = None,
) -> tuple[MemberView, bool]:
    """Create or update one member; returns (MemberView, created)."""
    now = utcnow()
    with session_scope(database_url) as session:
        key = normalize_member_id(member_id)
        row = repository.member(session, key)
        created = row is None
        if row is None:
            row = Member(member_id=key, created_at=now)
            session.add(row)
        row.first_name, row.last_name, row.dob, row.plan = first_name, last_name, dob, plan
        row.phone, row.language, row.is_demo, row.updated_at = phone, language, is_demo, now
        session.flush()
        return _view(row), created


def seed_demo_roster(database_url: str | None = None) -> int:
    """Load the fictional demo members (marked is_demo) so a new user can try it."""
    roster = yaml.safe_load(DEMO_ROSTER.read_text(encoding="utf-8"))["members"]
    for m in roster:
        upsert(
            m["member_id"],
            m["first_name"],
            m["last_name"],
            date.fromisoformat(str(m["dob"])),
            m["plan"],
            m.get("phone"),
            m.get("language", "en"),
            is_demo=True,
            database_url=database_url,
        )
    return len(roster)
