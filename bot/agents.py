"""Member-services agent accounts and console sessions.

Passwords are hashed with Argon2id (argon2-cffi). After MAX_FAILURES wrong passwords
in a row an account is locked for LOCK_MINUTES. A session is a random token in an
HttpOnly cookie; only its SHA-256 is stored, beside the session's CSRF token.

`python -m bot.agents create USERNAME --name "Display name"` makes an account
(the password is asked for, or read from stdin with --password-stdin; `--role
supervisor` for a supervisor). `python -m bot.agents set-role USERNAME supervisor`
(or `agent`) changes an account's role, audited. Only supervisors see the dashboard.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.deadlines import utcnow
from bot.store import session_scope
from bot.store.models import Agent, AgentSession, AuditEntry
from bot.store.repository import as_utc

# One source (a client address) may fail a few times; an account locks only after more
# failures than any one source may make, so nobody can lock a real agent out from one place.
SOURCE_MAX_FAILURES = 5
SOURCE_WINDOW_MINUTES = 15
MAX_FAILURES = 20
LOCK_MINUTES = 15
SESSION_HOURS = 8
MIN_PASSWORD = 12
ROLES = ("agent", "supervisor")
SUPERVISOR = "supervisor"
# Demo accounts for `make run` only (DEMO_DATA=1): marked as demo everywhere they show.
DEMO_AGENTS = (
    ("demo.maria", "Maria (DEMO agent)", "agent"),
    ("demo.james", "James (DEMO agent)", "agent"),
    ("demo.sofia", "Sofia (DEMO supervisor)", SUPERVISOR),
)
DEMO_PASSWORD = "demo-console-2026"

_hasher = PasswordHasher()
_NO_SUCH_USER = _hasher.hash(secrets.token_urlsafe(16))  # same work for unknown names


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    is_demo: bool
    role: str = "agent"

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR


@dataclass(frozen=True)
class ConsoleSession:
    agent: AgentView
    csrf_token: str


def _view(row: Agent) -> AgentView:
    return AgentView(row.id, row.username, row.display_name, row.is_demo, row.role or "agent")


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"a role is one of {', '.join(ROLES)}")
    return role


def create_agent(
    username: str,
    display_name: str,
    password: str,
    is_demo: bool = False,
    database_url: str | None = None,
    role: str = "agent",
) -> AgentView:
    username = username.strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise ValueError("a username is letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD and not is_demo:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    with session_scope(database_url) as session:
        if session.execute(select(Agent).where(Agent.username == username)).first():
            raise ValueError(f"there is already an agent {username!r}")
        row = Agent(
            username=username,
            display_name=display_name.strip()[:100] or username,
            password_hash=_hasher.hash(password),
            is_demo=is_demo,
            role=_checked_role(role),
            failed_attempts=0,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        audit.record(session, "admin", "create", "agent", username, f"role {role}")
        return _view(row)


def set_role(username: str, role: str, database_url: str | None = None) -> AgentView:
    """Give an account a role (audited); ValueError for an unknown account or role."""
    _checked_role(role)
    with session_scope(database_url) as session:
        row = session.execute(select(Agent).where(Agent.username == username.strip().lower())).scalar_one_or_none()
        if row is None:
            raise ValueError(f"there is no agent {username!r}")
        before, row.role = row.role, role
        audit.record(session, "admin", "update", "agent", row.username, f"role {before} -> {role}")
        return _view(row)


def seed_demo_agents() -> int:
    made = 0
    for username, name, role in DEMO_AGENTS:
        try:
            create_agent(username, name, DEMO_PASSWORD, is_demo=True, role=role)
            made += 1
        except ValueError:
            pass  # already there
    return made


def authenticate(
    username: str, password: str, source: str = "", now: datetime | None = None
) -> tuple[AgentView | None, str]:
    """(agent, "ok") or (None, "invalid" | "locked" | "slow_down"). Unknown names and
    wrong passwords cost the same work and are counted the same way, per source."""
    now = now or utcnow()
    with session_scope() as session:
        if source and _failures_from(session, source, now) >= SOURCE_MAX_FAILURES:
            _verify(_NO_SUCH_USER, password)
            return None, "slow_down"
        row = session.execute(select(Agent).where(Agent.username == username.strip().lower())).scalar_one_or_none()
        if row is None:
            _verify(_NO_SUCH_USER, password)
            _failed_from(session, source)
            return None, "invalid"
        if row.locked_until and as_utc(row.locked_until) > now:
            audit.record(session, f"agent:{row.username}", "sign_in", "agent", row.username, "refused: locked")
            return None, "locked"
        if not _verify(row.password_hash, password):
            _failed_from(session, source)
            row.failed_attempts = (row.failed_attempts or 0) + 1
            locked = row.failed_attempts >= MAX_FAILURES
            if locked:
                row.locked_until, row.failed_attempts = now + timedelta(minutes=LOCK_MINUTES), 0
            audit.record(
                session,
                f"agent:{row.username}",
                "sign_in",
                "agent",
                row.username,
                "failed; locked" if locked else "failed",
            )
            return None, "locked" if locked else "invalid"
        row.failed_attempts, row.locked_until = 0, None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        audit.record(session, f"agent:{row.username}", "sign_in", "agent", row.username)
        return _view(row), "ok"


def _source_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def _failed_from(session: Session, source: str) -> None:
    if source:
        audit.record(session, "console", "sign_in_failed", "source", _source_key(source))


def _failures_from(session: Session, source: str, now: datetime) -> int:
    since = now - timedelta(minutes=SOURCE_WINDOW_MINUTES)
    count: int = session.execute(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "sign_in_failed", AuditEntry.entity_key == _source_key(source), AuditEntry.at >= since
        )
    ).scalar_one()
    return count


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(agent: AgentView) -> tuple[str, str]:
    """(cookie token, CSRF token) of a new session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope() as session:
        session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
        session.add(
            AgentSession(
                token_hash=_token_hash(token),
                agent_id=agent.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
        )
    return token, csrf


def session_for(token: str | None) -> ConsoleSession | None:
    if not token:
        return None
    with session_scope() as session:
        found = session.execute(
            select(AgentSession, Agent)
            .join(Agent, Agent.id == AgentSession.agent_id)
            .where(AgentSession.token_hash == _token_hash(token))
        ).first()
        if found is None or as_utc(found[0].expires_at) <= utcnow():
            return None
        return ConsoleSession(_view(found[1]), found[0].csrf_token)


def end_session(token: str | None) -> None:
    if token:
        with session_scope() as session:
            session.execute(delete(AgentSession).where(AgentSession.token_hash == _token_hash(token)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.agents", description="Member-services agent accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create an agent account")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="the name members and other agents see")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.add_argument("--role", choices=ROLES, default="agent", help="supervisors also see the dashboard")
    set_role_cmd = sub.add_parser("set-role", help="change an account's role")
    set_role_cmd.add_argument("username")
    set_role_cmd.add_argument("role", choices=ROLES)
    sub.add_parser("seed-demo", help="the DEMO accounts for make run")
    args = parser.parse_args(argv)
    if args.command == "seed-demo":
        print(f"{seed_demo_agents()} demo agent account(s) created")
        return 0
    if args.command == "set-role":
        return _set_role_command(args.username, args.role)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("The passwords differ.", file=sys.stderr)
            return 1
    try:
        agent = create_agent(args.username, args.name, password, role=args.role)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"Agent {agent.username} created ({agent.role}).")
    return 0


def _set_role_command(username: str, role: str) -> int:
    try:
        agent = set_role(username, role)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{agent.username} is now {agent.role}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
